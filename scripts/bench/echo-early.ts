// Part of bench:echo: barge-ins early in an answer, where the canceller has the least to go on.
// Into the session's first answer (the filter still learning: nothing cancelled yet at 1 s) and
// into its second (2 s after the first ended: the filter learnt on the first), at 1.0, 1.5, 2.0
// and 3.0 s, on the simulated rooms at 0, -6 and -10 dB of echo re the user (espeak-ng voices),
// each against the same speech with no echo (delta ms; 'missed' when no onset within 2 s).
// Also: a client underrun (the echo 150 ms later) 1.5 s into the second answer, turns started.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { bargeInOnset } from './barge-in-onset.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor, type RoomParams } from '../../test/support/room.js';

const AT_MS = [1000, 1500, 2000, 3000];
const LEVELS_DB = [0, -6, -10];
const GAP_MS = 2000;

export interface EarlyBargeInRow {
  room: string;
  echoDb: number;
  answer: 1 | 2;
  /** Onset delta (ms) against no echo per barge-in time, or 'missed'. */
  [atMs: `at${number}`]: number | 'missed';
  /** Only on answer 2: turns started by the echo after an underrun 1.5 s in. */
  underrunTurns?: number;
}

/** Which rows to run (all by default): rooms by name, echo levels, answers. */
export interface EarlyBargeInSelection {
  rooms?: string[];
  levels?: number[];
  answers?: (1 | 2)[];
}

export async function runEarlyBargeInBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number, only: EarlyBargeInSelection = {}): Promise<EarlyBargeInRow[]> {
  const { both, secondAtMs } = joinAnswers(first, second, GAP_MS);
  const sim = (assistant: Float32Array, room: RoomParams, echoDb: number) => ({ assistant, room, echoGain: echoDb === -Infinity ? 0 : echoGainFor(assistant, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30 });
  const onsetAt = (assistant: Float32Array, room: RoomParams, echoDb: number, atMs: number): Promise<number | undefined> => bargeInOnset(silero, sim(assistant, room, echoDb), user, atMs, echoDb !== -Infinity);
  const rows: EarlyBargeInRow[] = [];
  const baseline = new Map<number, number | undefined>();
  for (const answer of only.answers ?? ([1, 2] as const)) {
    const assistant = answer === 1 ? first : both;
    const offset = answer === 1 ? 0 : secondAtMs;
    for (const at of AT_MS) baseline.set(offset + at, await onsetAt(new Float32Array(0), ROOMS[0]!, -Infinity, offset + at));
    for (const room of ROOMS.filter((r) => !only.rooms || only.rooms.includes(r.name))) {
      for (const echoDb of only.levels ?? LEVELS_DB) {
        const row: EarlyBargeInRow = { room: room.name, echoDb, answer };
        for (const at of AT_MS) {
          const onset = await onsetAt(assistant, room, echoDb, offset + at);
          const base = baseline.get(offset + at);
          row[`at${at}`] = onset === undefined || base === undefined ? 'missed' : Math.round(onset - base);
        }
        if (answer === 2) {
          const jumpAtMs = secondAtMs + 1500;
          const r = await onsetsThroughFrontEnd(silero, { ...sim(both, room, echoDb), underrun: { atMs: jumpAtMs, gapMs: 150 }, durationMs: both.length / 16 + 800 }, { gate: true });
          row.underrunTurns = r.onsets.filter((t) => t >= jumpAtMs).length;
        }
        rows.push(row);
      }
    }
  }
  return rows;
}

// Part of bench:echo: barge-ins just after the client really ran dry. The server sends nothing for
// STALL_MS at 1 and 2.5 s into a session's second answer (a slow engine, say); the client plays
// out its queue, is silent, and plays the rest when it comes, as the server's reference has it.
// The user barges in 100, 300 and 600 ms after the audio resumes. Per room and level: the onset
// delta against the same speech with no echo (ms), or 'missed' (no onset within 2 s).
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { bargeInDeltas } from './barge-in-onset.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';

const STALL_MS = 300;
const STALL_AT_MS = [1000, 2500];
const AFTER_MS = [100, 300, 600];
const LEVELS_DB = [0, -6, -10];
const GAP_MS = 2000;

export interface StallBargeInRow {
  room: string;
  echoDb: number;
  /** `s<stall at>a<after>`: onset delta (ms) against no echo, or 'missed'. */
  [cell: `s${number}a${number}`]: number | 'missed';
}

export async function runStallBargeInBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<StallBargeInRow[]> {
  const { both, secondAtMs } = joinAnswers(first, second, GAP_MS);
  const userAt = (stallAt: number, after: number) => secondAtMs + stallAt + STALL_MS + after;
  const delta = bargeInDeltas(silero, user);
  const rows: StallBargeInRow[] = [];
  for (const room of ROOMS) {
    for (const echoDb of LEVELS_DB) {
      const row: StallBargeInRow = { room: room.name, echoDb };
      for (const stallAt of STALL_AT_MS) {
        for (const after of AFTER_MS) {
          const at = userAt(stallAt, after);
          const stalledFrom = secondAtMs + stallAt;
          const sim = { assistant: both, room, echoGain: echoGainFor(both, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, unsent: { fromMs: stalledFrom, toMs: stalledFrom + STALL_MS } };
          row[`s${stallAt}a${after}`] = await delta(sim, at);
        }
      }
      rows.push(row);
    }
  }
  return rows;
}

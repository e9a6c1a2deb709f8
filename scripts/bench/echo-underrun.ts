// Part of bench:echo: barge-ins after the client ran dry on its own (a network stall the server
// never saw: it sent on time, the client played the rest of the answer later, and the echo comes
// that much later than the reference says). Underruns of 150 and 300 ms at 1 and 2.5 s into a
// second answer; the user barges in 300, 600 and 1000 ms after the audio resumed. Per room and
// level: the onset delta against the same speech with no echo (ms), or 'missed'.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { bargeInDeltas } from './barge-in-onset.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';

const UNDERRUNS_MS = [150, 300];
const AT_MS = [1000, 2500];
const AFTER_MS = [300, 600, 1000];
const LEVELS_DB = [0, -6];
const GAP_MS = 2000;

export interface UnderrunBargeInRow {
  room: string;
  echoDb: number;
  /** `s<underrun at>g<underrun>a<after>`: onset delta (ms) against no echo, or 'missed'. */
  [cell: `s${number}g${number}a${number}`]: number | 'missed';
}

export async function runUnderrunBargeInBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<UnderrunBargeInRow[]> {
  const { both, secondAtMs, unsent } = joinAnswers(first, second, GAP_MS);
  const rows: UnderrunBargeInRow[] = [];
  const delta = bargeInDeltas(silero, user);
  for (const room of ROOMS) {
    for (const echoDb of LEVELS_DB) {
      const row: UnderrunBargeInRow = { room: room.name, echoDb };
      for (const atMs of AT_MS) {
        for (const gapMs of UNDERRUNS_MS) {
          for (const afterMs of AFTER_MS) {
            const userAt = secondAtMs + atMs + gapMs + afterMs;
            const sim = { assistant: both, room, echoGain: echoGainFor(both, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, unsent, underrun: { atMs: secondAtMs + atMs, gapMs } };
            row[`s${atMs}g${gapMs}a${afterMs}`] = await delta(sim, userAt);
          }
        }
      }
      rows.push(row);
    }
  }
  return rows;
}

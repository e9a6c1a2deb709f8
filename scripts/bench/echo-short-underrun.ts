// Part of bench:echo: short underruns the server never saw, early in a first answer (the client ran
// dry 10, 30 or 50 ms on its own 2 or 3 s in), while the filter is young. Four rooms, 0 and -6 dB.
// The odd-underruns section runs the same with gaps that are no whole number of 10 ms frames
// (7-43 ms: a move found by whole frames alone is off by a part of one).
// Per underrun: the turns the echo alone started after it, then a barge-in 300 ms after the audio
// resumed, its onset delta against the same speech with no echo (ms), or 'missed'. A short gap
// often falls in a pause of the answer, where the missing echo says nothing of the filter; the
// echo then comes back late, under the user's first word.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';
import { bargeInDeltas, LATE_MS } from './barge-in-onset.js';

const AT_MS = [2000, 3000];
const UNDERRUNS_MS = [10, 30, 50];
/** The odd-underruns section's gaps. */
export const ODD_UNDERRUNS_MS = [7, 17, 23, 37, 43];
const LEVELS_DB = [0, -6];
const AFTER_MS = 300;

export interface ShortUnderrunRow {
  room: string;
  echoDb: number;
  /** `s<underrun at>g<underrun>`: 'turns / onset delta (ms) or missed'. */
  [cell: `s${number}g${number}`]: string;
}

export interface ShortUnderrunSummary {
  rows: ShortUnderrunRow[];
  underruns: number;
  turns: number;
  missed: number;
  late: number;
}

export async function runShortUnderrunBench(silero: SileroModel, answer: Float32Array, user: Float32Array, userDbfs: number, gapsMs = UNDERRUNS_MS): Promise<ShortUnderrunSummary> {
  const summary: ShortUnderrunSummary = { rows: [], underruns: 0, turns: 0, missed: 0, late: 0 };
  const bargeIn = bargeInDeltas(silero, user);
  for (const room of ROOMS) {
    for (const echoDb of LEVELS_DB) {
      const row: ShortUnderrunRow = { room: room.name, echoDb };
      for (const atMs of AT_MS) {
        for (const gapMs of gapsMs) {
          const sim = { assistant: answer, room, echoGain: echoGainFor(answer, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, underrun: { atMs, gapMs } };
          const alone = await onsetsThroughFrontEnd(silero, { ...sim, durationMs: answer.length / 16 + 500 }, { gate: true });
          const turns = alone.onsets.filter((t) => t >= atMs).length;
          const userAt = atMs + gapMs + AFTER_MS;
          const delta = await bargeIn(sim, userAt);
          row[`s${atMs}g${gapMs}`] = `${turns} / ${delta}`;
          summary.underruns++;
          summary.turns += turns;
          if (delta === 'missed') summary.missed++;
          else if (delta > LATE_MS) summary.late++;
        }
      }
      summary.rows.push(row);
    }
  }
  return summary;
}

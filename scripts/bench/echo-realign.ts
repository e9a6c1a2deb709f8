// Part of bench:echo: underruns the server never saw, in a first answer (the client ran dry on its
// own: the rest of the answer, and its echo, come that much later than the reference says), echo
// only. 150 and 300 ms at 3, 5 and 7 s in, four rooms, 0 and +6 dB. The filter, distrusted, is held
// while the echo is searched at other readings (echo-realign.ts); a reading found a few samples off
// leaves the filter cancelling 20 dB less than the leak it keeps says, and the echo starts turns.
// Per room and level: turns the echo started after the underrun, and '+found' where the echo was
// found again at another reading.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';

const AT_MS = [3000, 5000, 7000];
const UNDERRUNS_MS = [150, 300];
const LEVELS_DB = [0, 6];

export interface RealignRow {
  room: string;
  echoDb: number;
  /** `s<underrun at>g<underrun>`: turns started after the underrun, '+found' when the echo was found again. */
  [cell: `s${number}g${number}`]: string;
}

export interface RealignSummary {
  rows: RealignRow[];
  underruns: number;
  turns: number;
  found: number;
}

export async function runRealignBench(silero: SileroModel, answer: Float32Array, userDbfs: number): Promise<RealignSummary> {
  const summary: RealignSummary = { rows: [], underruns: 0, turns: 0, found: 0 };
  for (const room of ROOMS) {
    for (const echoDb of LEVELS_DB) {
      const row: RealignRow = { room: room.name, echoDb };
      for (const atMs of AT_MS) {
        for (const gapMs of UNDERRUNS_MS) {
          const sim = { assistant: answer, room, echoGain: echoGainFor(answer, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, underrun: { atMs, gapMs }, durationMs: answer.length / 16 + gapMs + 800 };
          const r = await onsetsThroughFrontEnd(silero, sim, { gate: true });
          const turns = r.onsets.filter((t) => t >= atMs).length;
          const found = r.canceller.realignedJumps > 0;
          row[`s${atMs}g${gapMs}`] = `${turns}${found ? ' +found' : ''}`;
          summary.underruns++;
          summary.turns += turns;
          if (found) summary.found++;
        }
      }
      summary.rows.push(row);
    }
  }
  return summary;
}

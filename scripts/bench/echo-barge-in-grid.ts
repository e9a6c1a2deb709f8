// Part of bench:echo: barge-ins every 250 ms from 1 to 7 s into the session's first and second
// answer, four rooms, echo 0 and -6 dB re the user (espeak-ng voice), each against the same speech
// with no echo. The early rows (echo-early.ts) sample four times; where the user starts against
// the answer's words matters as much as how far in, and on this grid the first answer showed
// barge-ins late at 4 s as well as in the first two seconds (a filter that misfits a pause in
// the answer: read such a case with npm run echo:trace). Reported as counts and the cells late.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';
import { bargeInDeltas, LATE_MS } from './barge-in-onset.js';

const FROM_MS = 1000;
const TO_MS = 7000;
const STEP_MS = 250;
const LEVELS_DB = [0, -6];
/** The second answer begins this long after the first ends, as in the early rows. */
const GAP_MS = 2000;

export interface BargeInGridSummary {
  answer: 1 | 2;
  bargeIns: number;
  missed: number;
  /** Later than LATE_MS behind the no-echo baseline. */
  late: number;
  /** Each cell missed or late: `room dB @atMs: delta`. */
  cells: string[];
}

export async function runBargeInGridBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<BargeInGridSummary[]> {
  const { both, secondAtMs } = joinAnswers(first, second, GAP_MS);
  const bargeIn = bargeInDeltas(silero, user);
  const summaries: BargeInGridSummary[] = [];
  for (const answer of [1, 2] as const) {
    const assistant = answer === 1 ? first : both;
    const offsetMs = answer === 1 ? 0 : secondAtMs;
    const summary: BargeInGridSummary = { answer, bargeIns: 0, missed: 0, late: 0, cells: [] };
    for (const room of ROOMS) {
      for (const echoDb of LEVELS_DB) {
        const sim = { assistant, room, echoGain: echoGainFor(assistant, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30 };
        for (let atMs = FROM_MS; atMs <= TO_MS; atMs += STEP_MS) {
          const delta = await bargeIn(sim, offsetMs + atMs);
          summary.bargeIns++;
          if (delta === 'missed') summary.missed++;
          else if (delta > LATE_MS) summary.late++;
          if (delta === 'missed' || delta > LATE_MS) summary.cells.push(`${room.name} ${echoDb} dB @${atMs}: ${delta}`);
        }
      }
    }
    summaries.push(summary);
  }
  return summaries;
}

// Part of bench:echo: new answers the client began a little off where the server placed them.
// The server places each new run of playback (an answer after a silence) by its model of the
// client: when it sent the audio, read on the client's clock as the microphone's arrivals give it.
// A real client starts playing when the first audio arrives, which that model cannot know to the
// millisecond (network and event-loop jitter): through the real socket, in one process, 11 of 12
// second answers began 0.4-7.5 ms off where placed. The filter, converged on the first answer,
// then reads the echo at the wrong place. Here the client begins the second answer s samples
// later than placed (negative: earlier; fractional: between two of the server's samples), four
// rooms, echo at 0, -6 and +6 dB re the user: turns the echo alone started in that answer, then a
// barge-in 1.0 and 2.0 s into it, onset delta vs no echo (ms), or 'missed'.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';
import { bargeInDeltas, LATE_MS, type OnsetDelta } from './barge-in-onset.js';

/**
 * Samples the client began the second answer later than placed (-10 ms to +100 ms; 13: 0.8 ms),
 * and within a few samples, between them: a real client never begins on the server's sample grid.
 */
const SHIFTS = [-160, -40, -13, -1, -0.5, 0.5, 1, 2.5, 13, 40, 120, 480, 1600];
const GAP_MS = 2000;
const BARGE_AT_MS = [1000, 2000];
/** Echo levels re the user's speech, dB. */
const ECHO_DBS = [0, -6, 6];

export interface RunShiftRow {
  room: string;
  echoDb: number;
  /** `s<samples>`: 'turns / onset delta at 1.0 s / at 2.0 s (ms or missed)'. */
  [cell: `s${number}`]: string;
}

export interface RunShiftSummary {
  rows: RunShiftRow[];
  runs: number;
  turns: number;
  bargeIns: number;
  missed: number;
  late: number;
}

export async function runRunShiftBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<RunShiftSummary> {
  const summary: RunShiftSummary = { rows: [], runs: 0, turns: 0, bargeIns: 0, missed: 0, late: 0 };
  const { both, secondAtMs, unsent } = joinAnswers(first, second, GAP_MS);
  const bargeIn = bargeInDeltas(silero, user);
  for (const echoDb of ECHO_DBS) for (const room of ROOMS) {
    const row: RunShiftRow = { room: room.name, echoDb };
    for (const samples of SHIFTS) {
      const sim = { assistant: both, room, echoGain: echoGainFor(both, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, unsent, runShift: { atMs: secondAtMs, samples } };
      const alone = await onsetsThroughFrontEnd(silero, { ...sim, durationMs: both.length / 16 + 500 }, { gate: true });
      const turns = alone.onsets.filter((t) => t >= secondAtMs).length;
      const deltas: OnsetDelta[] = [];
      for (const at of BARGE_AT_MS) {
        const delta = await bargeIn(sim, secondAtMs + at);
        deltas.push(delta);
        summary.bargeIns++;
        if (delta === 'missed') summary.missed++;
        else if (delta > LATE_MS) summary.late++;
      }
      row[`s${samples}`] = `${turns} / ${deltas.join(' / ')}`;
      summary.runs++;
      summary.turns += turns;
    }
    summary.rows.push(row);
  }
  return summary;
}

// Part of bench:echo: what follows a new answer the client began a little off where the server
// placed it (as every real client does: echo-run-shift.ts).
//  - shifted-underruns: then the client ran dry for 150 ms 2.5 s into it, an underrun the server
//    never saw: turns the echo alone started after it / a barge-in 300 ms after the audio resumed.
//    The search for the echo after the underrun reads the reference between samples where the run
//    was found between samples (echo-realign.ts).
//  - answer-starts: a barge-in as the answer's echo arrives at the microphone, 0-500 ms after it:
//    the filter is held while the run is searched for (filter-trust.ts heldForRun), and the gate
//    vouches for it as the search ends where it found the run surely (fine-align.ts, over the
//    user's voice too), else once it shows it cancels the run (run-proof.ts). The frames held are
//    held back from the VAD and judged once heard again (deferred-frames.ts); a barge-in's delta
//    counts the time the output at its earliest decision was held back (barge-in-onset.ts).
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor, type RoomParams } from '../../test/support/room.js';
import { bargeInDeltas, LATE_MS, type OnsetDelta } from './barge-in-onset.js';

const GAP_MS = 2000;
/** Samples the client began the second answer later than placed (negative: earlier); 0 for comparison. */
const UNDERRUN_SHIFTS = [0, 0.5, -0.5, 1.5];
const UNDERRUN = { atMs: 2500, gapMs: 150 };
const UNDERRUN_BARGE_AFTER_MS = 300;
const UNDERRUN_ECHO_DBS = [0, -6, 6];
/** Samples off for the barge-ins at the answer's start, and when they start, ms after the answer's echo reaches the microphone. */
const START_SHIFTS = [0, 0.5, 1, 40];
export const ANSWER_START_AFTER_MS = [0, 50, 100, 200, 300, 500];
const START_ECHO_DBS = [0, -6];
/** Capture -> arrival at the server, as in the other sections. */
const NETWORK_MS = 30;

export interface AnswerStartSummary {
  /** `s<samples>`: cells as the section's title says. */
  rows: Array<{ room: string; echoDb: number; [cell: `s${number}`]: string }>;
  /** Echo-alone turns (shifted-underruns only), barge-ins, and those missed or later than LATE_MS. */
  turns: number;
  bargeIns: number;
  missed: number;
  late: number;
}

function tally(summary: AnswerStartSummary, delta: OnsetDelta): void {
  summary.bargeIns++;
  if (delta === 'missed') summary.missed++;
  else if (delta > LATE_MS) summary.late++;
}

type CaseSim = { assistant: Float32Array; room: RoomParams; echoGain: number; networkMs: number; unsent: { fromMs: number; toMs: number }; runShift: { atMs: number; samples: number } };

/** Every room at every echo level, a row each, a cell for each shift: `cell` measures one second answer begun that many samples off (its sim, when it starts, and the summary to count into). */
async function eachShiftedAnswer(first: Float32Array, second: Float32Array, userDbfs: number, echoDbs: number[], shifts: number[], cell: (sim: CaseSim, secondAtMs: number, summary: AnswerStartSummary) => Promise<string>): Promise<AnswerStartSummary> {
  const summary: AnswerStartSummary = { rows: [], turns: 0, bargeIns: 0, missed: 0, late: 0 };
  const { both, secondAtMs, unsent } = joinAnswers(first, second, GAP_MS);
  for (const echoDb of echoDbs) for (const room of ROOMS) {
    const row: AnswerStartSummary['rows'][number] = { room: room.name, echoDb };
    for (const samples of shifts) {
      const sim = { assistant: both, room, echoGain: echoGainFor(both, room, 10 ** (userDbfs / 20), echoDb), networkMs: NETWORK_MS, unsent, runShift: { atMs: secondAtMs, samples } };
      row[`s${samples}`] = await cell(sim, secondAtMs, summary);
    }
    summary.rows.push(row);
  }
  return summary;
}

export async function runShiftedUnderrunBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<AnswerStartSummary> {
  const bargeIn = bargeInDeltas(silero, user);
  return eachShiftedAnswer(first, second, userDbfs, UNDERRUN_ECHO_DBS, UNDERRUN_SHIFTS, async (shifted, secondAtMs, summary) => {
    const sim = { ...shifted, underrun: { atMs: secondAtMs + UNDERRUN.atMs, gapMs: UNDERRUN.gapMs } };
    const alone = await onsetsThroughFrontEnd(silero, { ...sim, durationMs: sim.assistant.length / 16 + 500 }, { gate: true });
    const turns = alone.onsets.filter((t) => t >= secondAtMs).length;
    const delta = await bargeIn(sim, secondAtMs + UNDERRUN.atMs + UNDERRUN.gapMs + UNDERRUN_BARGE_AFTER_MS);
    tally(summary, delta);
    summary.turns += turns;
    return `${turns} / ${delta}`;
  });
}

export async function runAnswerStartBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<AnswerStartSummary> {
  const bargeIn = bargeInDeltas(silero, user);
  return eachShiftedAnswer(first, second, userDbfs, START_ECHO_DBS, START_SHIFTS, async (sim, secondAtMs, summary) => {
    const arrivesMs = secondAtMs + sim.room.delayMs + NETWORK_MS;
    const deltas: OnsetDelta[] = [];
    for (const afterMs of ANSWER_START_AFTER_MS) {
      const delta = await bargeIn(sim, arrivesMs + afterMs);
      tally(summary, delta);
      deltas.push(delta);
    }
    return deltas.join(' / ');
  });
}

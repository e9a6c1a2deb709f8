// Part of bench:echo: stalls the client never had. The server sends nothing for gapMs at
// s ms into a session's second answer and its reference places that silence (the client, as the
// server models it, ran dry), while this client buffers more and plays on: from then on its echo
// comes gapMs earlier than the reference says. Per room, level and stall: turns the echo started,
// with the canceller's stall check (stall-check.ts) and with it off, in the same run, and whether
// the check read past the silence.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';

const GAPS_MS = [100, 200, 300, 500];
const STALL_AT_MS = [300, 1000];
const LEVELS_DB = [0, 6];
const GAP_BETWEEN_ANSWERS_MS = 2000;

export interface PlayedStallRow {
  room: string;
  echoDb: number;
  /** `g<gap>s<stall at>`: turns started with the check / with it off, and '+skip' when the check read past the silence. */
  [cell: `g${number}s${number}`]: string;
}

export interface PlayedStallSummary {
  rows: PlayedStallRow[];
  stalls: number;
  turnsWithCheck: number;
  turnsWithout: number;
  skipped: number;
}

export async function runPlayedStallBench(silero: SileroModel, first: Float32Array, second: Float32Array, userDbfs: number): Promise<PlayedStallSummary> {
  const { both, secondAtMs, unsent } = joinAnswers(first, second, GAP_BETWEEN_ANSWERS_MS);
  const summary: PlayedStallSummary = { rows: [], stalls: 0, turnsWithCheck: 0, turnsWithout: 0, skipped: 0 };
  for (const room of ROOMS) {
    for (const echoDb of LEVELS_DB) {
      const row: PlayedStallRow = { room: room.name, echoDb };
      for (const gapMs of GAPS_MS) {
        for (const atMs of STALL_AT_MS) {
          const sim = { assistant: both, room, echoGain: echoGainFor(both, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, unsent, referenceStall: { atMs: secondAtMs + atMs, gapMs }, durationMs: both.length / 16 + 800 };
          const checked = await onsetsThroughFrontEnd(silero, sim, { gate: true });
          const unchecked = await onsetsThroughFrontEnd(silero, { ...sim, checkStalls: false }, { gate: true });
          const turns = checked.onsets.filter((t) => t >= secondAtMs).length;
          const turnsOff = unchecked.onsets.filter((t) => t >= secondAtMs).length;
          row[`g${gapMs}s${atMs}`] = `${turns} / ${turnsOff}${checked.canceller.skippedStalls > 0 ? ' +skip' : ''}`;
          summary.stalls++;
          summary.turnsWithCheck += turns;
          summary.turnsWithout += turnsOff;
          summary.skipped += checked.canceller.skippedStalls > 0 ? 1 : 0;
        }
      }
      summary.rows.push(row);
    }
  }
  return summary;
}

// Part of bench:echo: stalls the client ran dry for other than the silence placed. When the server
// sends nothing for gapMs at s ms into a session's second answer, its reference places that
// silence; the client's own clock decides how long it really runs dry:
// - partial rows: its playback lags the server's model (a jitter buffer deeper than the pacer's
//   lead), it runs dry for only gapMs - partMs, and its echo then comes partMs earlier than placed,
//   read neither as placed nor past the silence;
// - longer rows: it runs dry x samples longer (or, x negative, shorter) than placed (tens of
//   samples after an event-loop block: a 318 ms block, placed 460 samples, the client silent for
//   494), and its echo comes that much later.
// Per room (0 dB): turns the echo alone started, and a barge-in 600 ms after the audio resumed
// (onset delta against the same speech with no echo, ms, or 'missed'), with the canceller's stall
// check and with it off, in the same run.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { bargeInDeltas, LATE_MS } from './barge-in-onset.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';

const GAPS_MS = [200, 500];
const PART_SHARES = [0.25, 0.5, 0.75];
const LONGER_GAPS_MS = [30, 200];
/** Samples the client ran dry for longer than placed (negative: shorter; fractional: between samples); under 16 (1 ms) is fine-align.ts's. */
const LONGER_SAMPLES = [-8, 1, 1.5, 5, 12, 34, 60, 150];
const STALL_AT_MS = [300, 1000];
const USER_AFTER_MS = 600;
const GAP_BETWEEN_ANSWERS_MS = 2000;

export interface PartialStallRow {
  room: string;
  /** `g<gap>p<part>s<stall at>` (partial) or `g<gap>x<samples longer>s<stall at>`: echo-only turns with / without the check, then the barge-in's onset delta with / without it. */
  [cell: string]: string;
}

/** One stall: the silence placed, how long the client really ran dry, and where. */
interface StallCase {
  key: string;
  gapMs: number;
  dryMs: number;
  intoMs: number;
}

export interface PartialStallSummary {
  rows: PartialStallRow[];
  stalls: number;
  turnsWithCheck: number;
  turnsWithout: number;
  missedWithCheck: number;
  missedWithout: number;
  /** Barge-ins heard more than 100 ms later than with no echo. */
  lateWithCheck: number;
  lateWithout: number;
}

/** Stalls the client played through a quarter, half or three quarters of. */
export function runPartialStallBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<PartialStallSummary> {
  const cases = GAPS_MS.flatMap((gapMs) => PART_SHARES.flatMap((share) => STALL_AT_MS.map((intoMs) => {
    const partMs = Math.round(gapMs * share);
    return { key: `g${gapMs}p${partMs}s${intoMs}`, gapMs, dryMs: gapMs - partMs, intoMs };
  })));
  return runStallCases(silero, first, second, user, userDbfs, cases);
}

/** Stalls the client ran dry for a few samples more or less than placed. */
export function runLongerStallBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<PartialStallSummary> {
  const cases = LONGER_GAPS_MS.flatMap((gapMs) => LONGER_SAMPLES.flatMap((samples) => STALL_AT_MS.map((intoMs) => ({ key: `g${gapMs}x${samples}s${intoMs}`, gapMs, dryMs: gapMs + samples / 16, intoMs }))));
  return runStallCases(silero, first, second, user, userDbfs, cases);
}

async function runStallCases(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number, cases: StallCase[]): Promise<PartialStallSummary> {
  const { both, secondAtMs, unsent } = joinAnswers(first, second, GAP_BETWEEN_ANSWERS_MS);
  const summary: PartialStallSummary = { rows: [], stalls: 0, turnsWithCheck: 0, turnsWithout: 0, missedWithCheck: 0, missedWithout: 0, lateWithCheck: 0, lateWithout: 0 };
  const bargeIn = bargeInDeltas(silero, user);
  for (const room of ROOMS) {
    const row: PartialStallRow = { room: room.name };
    for (const { key, gapMs, dryMs, intoMs } of cases) {
      // The reference stalls from a whole sent frame (100 ms); the client runs dry from the same moment.
      const at = Math.ceil((secondAtMs + intoMs) / 100) * 100;
      const userAt = at + gapMs + USER_AFTER_MS;
      const sim = { assistant: both, room, echoGain: echoGainFor(both, room, 10 ** (userDbfs / 20), 0), networkMs: 30, unsent, referenceStall: { atMs: at, gapMs }, underrun: { atMs: at, gapMs: dryMs } };
      const cell: string[] = [];
      const bargeIns: string[] = [];
      for (const checkStalls of [true, false]) {
        const alone = await onsetsThroughFrontEnd(silero, { ...sim, checkStalls, durationMs: both.length / 16 + 800 }, { gate: true });
        const turns = alone.onsets.filter((t) => t >= secondAtMs).length;
        const delta = await bargeIn({ ...sim, checkStalls }, userAt);
        cell.push(String(turns));
        bargeIns.push(String(delta));
        if (checkStalls) {
          summary.turnsWithCheck += turns;
          if (delta === 'missed') summary.missedWithCheck++;
          else if (delta > LATE_MS) summary.lateWithCheck++;
        } else {
          summary.turnsWithout += turns;
          if (delta === 'missed') summary.missedWithout++;
          else if (delta > LATE_MS) summary.lateWithout++;
        }
      }
      row[key] = `${cell.join('/')} ${bargeIns.join('/')}`;
      summary.stalls++;
    }
    summary.rows.push(row);
  }
  return summary;
}

// The canceller's side of the stall check (stall-check.ts): which silence is under test (the one
// placed before the latest run of playback), and the judge it asks, the filter's response applied
// to the two readings of the reference (shadow-echo.ts), read from the filter once per silence.
//
// A client whose playback lags the server's model (a jitter buffer deeper than the pacer's lead)
// plays through part of such a silence: it runs dry for less than the reference placed, and its
// echo then comes that part earlier than placed, read neither as placed nor past the silence.
// Partial stalls of 200-500 ms (a quarter to three quarters played through), 0 dB: a barge-in 600
// ms after was missed in 66 of 72, and the echo alone started 20 turns in 120. So once the echo is
// back, every reading within the silence is searched (echo-realign.ts's search, over the silence's
// shifts) and the reference is read at the one found.
//
// The silence placed is the server's model of the client, and the client's own clock decides how
// long it really ran dry: tens of samples either way after an event-loop block (a 318 ms block:
// placed 460 samples, the client silent for 494). So the search also spans readings a little
// later than placed. Searched only within the silence, the echo 34 samples later was taken at a
// pitch period's alias (101 samples earlier), the filter cancelled nothing, and the echo alone
// started a turn (the 0 dB loopback test, 1 in 8 runs under a busy loop and blocks).
import { EchoRealigner } from './echo-realign.js';
import { FineAlign } from './fine-align.js';
import type { EchoReference } from './reference.js';
import { ShadowEcho } from './shadow-echo.js';
import { StallCheck } from './stall-check.js';

/** The microphone this far over its noise floor (10 dB) is loud enough to search with (as stall-check.ts judges). */
const LOUD_OVER_FLOOR = 10;
/** A part played through is at least 1 ms, and 1 ms short of the whole silence: a whole one is the two-reading test's. */
const LEAST_PART = 16;
/** How much longer than placed the client may have run dry (50 ms; more is an underrun the server never saw: echo-realign.ts). */
const MOST_LONGER = 50 * 16;

/** One microphone frame as the canceller saw it. */
export interface StallWatchFrame {
  mic: Int16Array;
  micEnergy: number;
  noiseFloor: number;
  /** Whether the filter ran on this frame. */
  filterRan: boolean;
  /** Whether the filter can judge at all now (the delay locked, an echo path heard, not bypassed). */
  canJudge: boolean;
  /** The filter's reading of the frame's first sample; the reference block of the echo's direct path; how far the filter reads ahead of it, blocks. */
  playFrom: number;
  echoBlock: number;
  filterLeadBlocks: number;
}

export class StallWatch {
  private readonly check: StallCheck;
  private readonly shadow = new ShadowEcho();
  /** The reference's run the check was last started for, and whether the shadow holds the filter's response for it. */
  private run = 1;
  private loaded = false;
  /** The search for a part played through, and whether it has started (the echo is back) for this silence. */
  private readonly partial: EchoRealigner;
  private partialStarted = false;
  /** The run after the silence, searched a few samples either side of where it was placed. */
  private readonly fine: FineAlign;

  constructor(
    private readonly reference: EchoReference,
    blockSamples: number,
  ) {
    this.check = new StallCheck(blockSamples);
    this.partial = new EchoRealigner(blockSamples);
    this.fine = new FineAlign(blockSamples);
  }

  /** Silences read past so far. */
  get skipped(): number {
    return this.check.skipped;
  }

  /** The silence under test (the client may have played it through, in whole or in part: StallCheck.pending); null when none is. */
  get silence(): { startBlock: number; samples: number } | null {
    return this.check.silence;
  }

  /** Just read past a silence: the filter still holds what it read there, its word is not to be taken. */
  get settling(): boolean {
    return this.check.settling;
  }

  /**
   * Whether this frame is to be shown (frame): a silence is under test or the filter settling after
   * a skip. Asked every frame first, so the frame's record is built only then (most frames: never).
   */
  get watching(): boolean {
    if (this.reference.runs !== this.run) {
      this.run = this.reference.runs;
      this.check.newRun(this.reference.latestRunGap);
      this.loaded = false;
      this.partialStarted = false;
    }
    return this.check.pending || this.check.settling || this.fine.active;
  }

  /**
   * One frame, while watching; `response` reads the filter's impulse response. Returns the samples
   * to read the reference later by from the next frame on (0: none), and the frames since the
   * silence's echo began (this one included): those heard at the wrong reading. `approximate`: the
   * move is the run's few samples (fine-align.ts), or a part found by a search whose peak was
   * blurred: either may be a sample or two off, and the filter keeps the leak it has now.
   */
  frame(f: StallWatchFrame, response: () => Int32Array): { move: number; framesSinceSilence: number; runArrived: boolean; approximate: boolean } {
    if (!f.canJudge) {
      this.check.stop();
      this.fine.stop();
      return { move: 0, framesSinceSilence: 0, runArrived: false, approximate: false };
    }
    const { echoBlock, micEnergy, noiseFloor, filterRan, filterLeadBlocks } = f;
    const silence = this.check.silence;
    const framesSinceSilence = silence ? Math.max(1, echoBlock - silence.startBlock + 1) : 0;
    const skip = this.check.frame({ echoBlock, micEnergy, noiseFloor, filterRan, filterLeadBlocks }, (samples) => this.judge(response).explained(f.mic, this.reference, f.playFrom + samples));
    const runArrived = this.check.runArrived;
    const move = skip > 0 || silence === null || !this.check.pending ? skip : this.searchPart(f, silence, response);
    if (runArrived) this.fine.start();
    if (move !== 0) {
      this.fine.stop();
      // A part found by a blurred search (echo-realign.ts SHARP_BY) may be a sample or two off.
      return { move, framesSinceSilence, runArrived, approximate: skip === 0 && !this.partial.lastMoveSharp };
    }
    if (!this.fine.active) return { move, framesSinceSilence, runArrived, approximate: false };
    // The response searched with is the filter's as the silence was tested (judge): a filter held or distrusted since is not asked.
    const fineMove = this.fine.frame(f.mic, f.playFrom, f.noiseFloor * LOUD_OVER_FLOOR, (mic, from, min, max) => this.judge(response).bestShift(mic, this.reference, from, min, max));
    // Found: the run plays there, which ends any test of the silence (neither reading it weighs is right).
    if (fineMove !== 0) this.check.foundBySearch(f.filterLeadBlocks);
    return { move: fineMove, framesSinceSilence, runArrived, approximate: fineMove !== 0 };
  }

  /** The filter changes little over a stall's few frames: its response is read once per silence. */
  private judge(response: () => Int32Array): ShadowEcho {
    if (!this.loaded) this.shadow.load(response());
    this.loaded = true;
    return this.shadow;
  }

  /** The part of the silence played through (or the silence longer than placed), searched once 100 ms of echo are back (samples to read the reference later by, or 0). */
  private searchPart(f: StallWatchFrame, silence: { startBlock: number; samples: number }, response: () => Int32Array): number {
    if (silence.samples < 3 * LEAST_PART) return 0;
    this.partial.record(f.mic, f.playFrom, false);
    if (!f.filterRan || f.micEnergy < f.noiseFloor * LOUD_OVER_FLOOR || f.echoBlock < silence.startBlock) return 0;
    // Started by the first new sound (neither reading explains it): the room's tail of what came before the silence is no window to search.
    if (!this.partialStarted) {
      if (!this.check.unexplained) return 0;
      this.partialStarted = true;
      this.partial.distrusted();
      return 0;
    }
    const shadow = this.judge(response);
    const move = this.partial.search((mic, from, min, max) => shadow.bestShift(mic, this.reference, from, min, max), { min: -MOST_LONGER, max: silence.samples - LEAST_PART });
    if (move === null || move === 0) return 0;
    this.check.foundBySearch(f.filterLeadBlocks);
    return move;
  }
}

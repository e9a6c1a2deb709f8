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
//
// A new answer (a run after a silence longer than a stall, or after a cut) is placed by the same
// model, which cannot know to the millisecond when the client starts playing it: through the real
// socket in one process, 11 of 12 second answers began 0.4-7.5 ms off, and the filter, converged
// on the answer before, was distrusted and relearnt the room with its leak forgotten (barge-ins in
// the answer's first two seconds missed or a second late). So once the new run's echo arrives, the
// readings from 500 ms later to 100 ms earlier than placed are searched (fine-align.ts's rule, with
// the filter's response as the run arrived), and the reference is read at the one found.
import { CLEARLY_BETTER, EchoRealigner } from './echo-realign.js';
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
/** How far from where it was placed the run after a long silence (a new answer) is searched: up to 500 ms later (the longest delay the canceller handles), 100 ms earlier (samples at 16 kHz). */
const RUN_LATER = 500 * 16;
const RUN_EARLIER = 100 * 16;
/**
 * The run is moved only where the reading as placed explains less than this share of its echo.
 * Read a few samples off, the echo is still half explained: the filter follows that itself (a
 * loudspeaker on its own clock, restarted with the run: 3 samples off, 0.67 explained). Moved
 * there, the filter cancelled less for two seconds (two devices, -300 ppm: 24.2 -> 19.7 dB).
 */
const RUN_PLACED_BELOW = 0.5;

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
  /** No loudspeaker clock drift is compensated (a new answer's run may then be found between samples: fine-align.ts). */
  driftFree: boolean;
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
  /** The run after a long silence (a new answer), searched once its echo arrives: its first reference block (-1: none to search), and the frames since its echo arrived. */
  private readonly runAlign: FineAlign;
  private runStartBlock = -1;
  private runFrames = 0;

  constructor(
    private readonly reference: EchoReference,
    private readonly blockSamples: number,
  ) {
    this.check = new StallCheck(blockSamples);
    this.partial = new EchoRealigner(blockSamples, false, CLEARLY_BETTER);
    this.fine = new FineAlign(blockSamples);
    this.runAlign = new FineAlign(blockSamples, { min: -RUN_LATER, max: RUN_EARLIER }, RUN_PLACED_BELOW, true);
  }

  /** Silences read past so far. */
  get skipped(): number {
    return this.check.skipped;
  }

  /** The silence under test (the client may have played it through, in whole or in part: StallCheck.pending); null when none is. */
  get silence(): { startBlock: number; samples: number } | null {
    return this.check.silence;
  }

  /**
   * A new answer's run is being searched for where the client plays it (alignRun): its echo may
   * come at another delay than placed, and what the microphone hears says nothing of the path as placed.
   */
  get placingRun(): boolean {
    return this.runAlign.active;
  }

  /**
   * placingRun, or the filter reading the new answer's run already (`readTo`: the end of its
   * reading for the frame), its echo not yet arrived to be searched with. Run on the run read as
   * placed, a sample off (as placed to the sample, the reading rounds a half either way), the
   * filter learnt its first echo frames there, and heard again at the reading found it cancelled
   * 1-5 dB where it would have 30 (office, +6 dB): held from its first read, it has nothing to unlearn.
   */
  placingRunAt(readTo: number): boolean {
    return this.runAlign.active || (this.runStartBlock >= 0 && readTo > this.runStartBlock * this.blockSamples);
  }

  /** The last new answer's run was found where a window of its echo says it plays, surely (FineAlign.surely). */
  get runPlacedSurely(): boolean {
    return this.runAlign.surely;
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
      const gap = this.reference.latestRunGap;
      this.check.newRun(gap);
      this.loaded = false;
      this.partialStarted = false;
      // Not a stall: a new answer (or one after a cut), placed by the server's model of the client.
      const b = this.blockSamples;
      this.runAlign.stop();
      this.runStartBlock = !this.check.pending && gap.samples > 0 && gap.lastSoundBefore >= 0 ? Math.floor(gap.start / b) + Math.ceil(gap.samples / b) : -1;
    }
    return this.check.pending || this.check.settling || this.fine.active || this.runStartBlock >= 0 || this.runAlign.active;
  }

  /**
   * One frame, while watching; `response` reads the filter's impulse response. Returns the samples
   * to read the reference later by from the next frame on (0: none), and the frames since the
   * silence's echo began (this one included): those heard at the wrong reading. `approximate`: the
   * move is the run's few samples (fine-align.ts), or a part found by a search whose peak was
   * blurred: either may be a sample or two off, and the filter keeps the leak it has now.
   * `newAnswer`: the move is a new answer's run found where it plays (not a stall's).
   */
  frame(f: StallWatchFrame, response: () => Int32Array): { move: number; framesSinceSilence: number; runArrived: boolean; approximate: boolean; newAnswer: boolean } {
    if (!f.canJudge) {
      this.check.stop();
      this.fine.stop();
      this.runAlign.stop();
      this.runStartBlock = -1;
      return { move: 0, framesSinceSilence: 0, runArrived: false, approximate: false, newAnswer: false };
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
      return { move, framesSinceSilence, runArrived, approximate: skip === 0 && !this.partial.lastMoveSharp, newAnswer: false };
    }
    const runMove = this.alignRun(f, response);
    if (runMove !== 0) return { move: runMove, framesSinceSilence: this.runFrames, runArrived, approximate: true, newAnswer: true };
    if (!this.fine.active) return { move, framesSinceSilence, runArrived, approximate: false, newAnswer: false };
    // The response searched with is the filter's as the silence was tested (judge): a filter held or
    // distrusted since is not asked. Between samples, unless the loudspeaker is on its own clock (fine-align.ts).
    const fineMove = this.fine.frame(f.mic, f.playFrom, f.noiseFloor * LOUD_OVER_FLOOR, (mic, from, min, max) => this.judge(response).bestShift(mic, this.reference, from, min, max), f.driftFree);
    // Found: the run plays there, which ends any test of the silence (neither reading it weighs is right).
    if (fineMove !== 0) this.check.foundBySearch(f.filterLeadBlocks);
    return { move: fineMove, framesSinceSilence, runArrived, approximate: fineMove !== 0, newAnswer: false };
  }

  /**
   * The run after a long silence, searched from where it was placed once its echo arrives, with
   * the filter's response as it was then (before the run taught it anything at the wrong
   * reading). Returns the samples to read the reference later by (0: none).
   */
  private alignRun(f: StallWatchFrame, response: () => Int32Array): number {
    if (this.runStartBlock >= 0 && f.echoBlock >= this.runStartBlock) {
      this.runStartBlock = -1;
      this.loaded = false;
      this.judge(response);
      this.runAlign.start();
      this.runFrames = 0;
    }
    if (!this.runAlign.active) return 0;
    this.runFrames++;
    // Between samples, unless the loudspeaker is on its own clock (fine-align.ts).
    const move = this.runAlign.frame(f.mic, f.playFrom, f.noiseFloor * LOUD_OVER_FLOOR, (mic, from, min, max) => this.shadow.bestShift(mic, this.reference, from, min, max), f.driftFree);
    // Held while searched for (FilterTrust heldForRun: not run), the filter hears the run where found
    // and has nothing to settle; left to, it was not vouched for for its lead and a few frames more
    // (100 ms in the near room), and a barge-in 200 ms after a run begun a sample late was heard
    // 1.7 s late. Run on as placed (the hold's ring full), it settles as after a stall.
    if (move !== 0 && f.filterRan) this.check.settle(f.filterLeadBlocks);
    return move;
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

// The canceller's side of the stall check (stall-check.ts): which silence is under test (the one
// placed before the latest run of playback), and the judge it asks, the filter's response applied
// to the two readings of the reference (shadow-echo.ts), read from the filter once per silence.
import type { EchoReference } from './reference.js';
import { ShadowEcho } from './shadow-echo.js';
import { StallCheck } from './stall-check.js';

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

  constructor(
    private readonly reference: EchoReference,
    blockSamples: number,
  ) {
    this.check = new StallCheck(blockSamples);
  }

  /** Silences read past so far. */
  get skipped(): number {
    return this.check.skipped;
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
    }
    return this.check.pending || this.check.settling;
  }

  /** One frame, while watching; `response` reads the filter's impulse response. Returns the samples to read the reference later by from the next frame on, or 0. */
  frame(f: StallWatchFrame, response: () => Int32Array): number {
    if (!f.canJudge) {
      this.check.stop();
      return 0;
    }
    const { echoBlock, micEnergy, noiseFloor, filterRan, filterLeadBlocks } = f;
    return this.check.frame({ echoBlock, micEnergy, noiseFloor, filterRan, filterLeadBlocks }, (samples) => {
      // The filter changes little over a stall's few frames: its response is read once.
      if (!this.loaded) this.shadow.load(response());
      this.loaded = true;
      return this.shadow.explained(f.mic, this.reference, f.playFrom + samples);
    });
  }
}

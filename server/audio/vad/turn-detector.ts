// Speech probabilities per frame -> turn decisions. Pure and synchronous, so the
// rules are testable without a model. Follows Silero's own iterator: hysteresis
// (on at `threshold`, off below `negativeThreshold`; frames in between keep the
// current state), speech confirmed only after `minSpeechMs` (blips are dropped),
// ended after `silenceDurationMs` below the off threshold.

export interface TurnDetectorSettings {
  /** Probability at or above which a frame is speech. */
  threshold: number;
  /** Probability below which a frame is silence (<= threshold). */
  negativeThreshold: number;
  /** Speech shorter than this never becomes a turn. */
  minSpeechMs: number;
  /** Silence that ends a turn. */
  silenceDurationMs: number;
}

export type TurnDecision =
  /** Speech confirmed; it began at `speechStartSample` (first sample of its first speech frame). */
  | { type: 'start'; speechStartSample: number }
  /**
   * Speech ended at `speechEndSample`: the end of its last frame at or above the on threshold
   * (frames between the thresholds are Silero's hangover; counting them put ends ~30 ms later).
   */
  | { type: 'end'; speechEndSample: number };

const SAMPLES_PER_MS = 16;

export class TurnDetector {
  private settings: TurnDetectorSettings;
  private state: 'silence' | 'candidate' | 'speech' = 'silence';
  private speechStart = 0;
  /** Start of the current run of silent frames while speaking, or -1. */
  private silenceStart = -1;
  /** End of the last frame at or above the on threshold. */
  private lastConfident = 0;

  constructor(settings: TurnDetectorSettings) {
    this.settings = { ...settings };
  }

  /** Takes effect from the next frame. */
  update(settings: TurnDetectorSettings): void {
    this.settings = { ...settings };
  }

  /** Probability below which a frame is silence. */
  get negativeThreshold(): number {
    return this.settings.negativeThreshold;
  }

  /** Speech confirmed and not yet ended. */
  get speaking(): boolean {
    return this.state === 'speech';
  }

  /** First sample of the unconfirmed or confirmed speech, or -1 in silence. */
  get pendingSpeechStart(): number {
    return this.state === 'silence' ? -1 : this.speechStart;
  }

  /** Start of the silence run in progress while speaking (a possible end of the turn), or -1. */
  get silenceRunStart(): number {
    return this.state === 'speech' ? this.silenceStart : -1;
  }

  /**
   * Where the speech ended if the silence run in progress turns out to end the turn (the `end`
   * decision's speechEndSample), or -1 when no silence run is under way.
   */
  get pauseSpeechEnd(): number {
    return this.state === 'speech' && this.silenceStart >= 0 ? Math.min(this.silenceStart, this.lastConfident) : -1;
  }

  reset(): void {
    this.state = 'silence';
    this.silenceStart = -1;
  }

  /**
   * Feeds the probability of the frame [frameStart, frameStart + frameSamples). Speech starting in
   * it begins at `candidateFrom` where that is earlier (frames just before it that the caller knows
   * were speech: onset-lead.ts).
   */
  push(probability: number, frameStart: number, frameSamples: number, candidateFrom = frameStart): TurnDecision | null {
    const { threshold, negativeThreshold, minSpeechMs, silenceDurationMs } = this.settings;
    const frameEnd = frameStart + frameSamples;
    switch (this.state) {
      case 'silence':
        if (probability < threshold) return null;
        this.state = 'candidate';
        this.speechStart = Math.min(frameStart, candidateFrom);
        this.lastConfident = frameEnd;
        return this.confirmIfLongEnough(frameEnd, minSpeechMs);
      case 'candidate':
        if (probability < negativeThreshold) {
          this.state = 'silence';
          return null;
        }
        if (probability >= threshold) this.lastConfident = frameEnd;
        return this.confirmIfLongEnough(frameEnd, minSpeechMs);
      case 'speech':
        if (probability >= threshold) {
          this.silenceStart = -1;
          this.lastConfident = frameEnd;
          return null;
        }
        if (probability >= negativeThreshold) return null;
        if (this.silenceStart < 0) this.silenceStart = frameStart;
        if (frameEnd - this.silenceStart < silenceDurationMs * SAMPLES_PER_MS) return null;
        this.state = 'silence';
        return { type: 'end', speechEndSample: Math.min(this.silenceStart, this.lastConfident) };
    }
  }

  private confirmIfLongEnough(frameEnd: number, minSpeechMs: number): TurnDecision | null {
    if (frameEnd - this.speechStart < minSpeechMs * SAMPLES_PER_MS) return null;
    this.state = 'speech';
    this.silenceStart = -1;
    return { type: 'start', speechStartSample: this.speechStart };
  }
}

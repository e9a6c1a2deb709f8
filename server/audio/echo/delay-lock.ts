// The echo's delay the canceller places its filter by: the delay estimator's readings
// (delay-estimator.ts), taken only when two in a row agree. One noisy peak must not misalign a
// converged filter; a delay taken once (locked) moves only for one that differs by more than the
// estimates' spread.
import { DelayEstimator, type DelayEstimate, type DelayEstimatorOptions } from './delay-estimator.js';

/** Estimates less confident than this say nothing. */
const LEAST_CONFIDENCE = 0.35;
/** Two estimates this close (ms) agree; a locked delay moves only for one farther off. */
const AGREE_MS = 20;

export class DelayLock {
  private readonly estimator: DelayEstimator;
  private delayMsNow = 0;
  private lockedNow = false;
  /** The last confident estimate's delay, to be confirmed by the next (null: none to confirm). */
  private candidateMs: number | null = null;
  private lastEstimate: DelayEstimate | null = null;

  /** `estimator`: how much history and activity an estimate needs (DelayEstimatorOptions; the canceller's own lock takes the defaults). */
  constructor(maxDelayMs: number, estimator: Omit<DelayEstimatorOptions, 'maxDelayMs'> = {}) {
    this.estimator = new DelayEstimator({ windowMs: 4000, ...estimator, maxDelayMs });
  }

  /** Whether a delay has been taken. */
  get locked(): boolean {
    return this.lockedNow;
  }

  /** The delay taken, ms (0 before one is). */
  get delayMs(): number {
    return this.delayMsNow;
  }

  /** The last confident estimate, taken or not. */
  get last(): DelayEstimate | null {
    return this.lastEstimate;
  }

  /** A microphone block's energy, heard against reference block `refBlock` (fractional: the reading's position). */
  addMicBlock(energy: number, refBlock: number): void {
    this.estimator.addMicBlock(energy, refBlock);
  }

  /** Nothing to estimate from for now (no echo to hear): the next estimate starts a new pair. */
  pause(): void {
    this.candidateMs = null;
  }

  /**
   * Estimates the delay against the reference (`blockEnergy`); returns whether a delay was taken
   * now, and whether it was the first, or null when the delay stays as it was.
   */
  update(blockEnergy: (block: number) => number): { firstLock: boolean } | null {
    const estimate = this.estimator.estimate(blockEnergy);
    if (!estimate || estimate.confidence < LEAST_CONFIDENCE) return null;
    this.lastEstimate = estimate;
    const agrees = this.candidateMs !== null && Math.abs(this.candidateMs - estimate.delayMs) <= AGREE_MS;
    this.candidateMs = estimate.delayMs;
    if (!agrees || (this.lockedNow && Math.abs(estimate.delayMs - this.delayMsNow) <= AGREE_MS)) return null;
    const firstLock = !this.lockedNow;
    this.delayMsNow = estimate.delayMs;
    this.lockedNow = true;
    return { firstLock };
  }
}

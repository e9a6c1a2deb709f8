// The delay between what the server sent and its echo in the microphone: network both ways,
// the client's jitter buffer, device latency (0-500 ms, drifting). Found by correlating the
// 10 ms log-energy envelopes of the reference and of the microphone over the last few seconds:
// speech envelopes (syllables, pauses) are distinctive over seconds, survive the room's
// reverberation and noise, and cost ~50 x 400 multiplies per estimate. Resolution is a block
// (10 ms) refined by parabolic interpolation; the adaptive filter covers the rest.

export interface DelayEstimate {
  /** Reference -> microphone delay, ms. */
  delayMs: number;
  /** Pearson correlation of the envelopes at that delay (0..1). */
  confidence: number;
}

export interface DelayEstimatorOptions {
  /** Longest delay expected, ms (default 500). */
  maxDelayMs?: number;
  /**
   * The search goes this far past maxDelayMs (default 100): an echo a little later than expected
   * is still found at its peak, and a best lag at the very end of the search is no peak (below).
   */
  guardMs?: number;
  /** Envelope history correlated, ms (default 4000). */
  windowMs?: number;
  /** Block length, ms (default 10). */
  blockMs?: number;
  /** Energies below this (mean square, int16 units) count as this: silence does not correlate on noise. */
  floorEnergy?: number;
  /** Reference blocks above the floor needed in the window before estimating (default 1/4 of it). */
  minActiveFraction?: number;
  /** Microphone blocks heard before estimating (default twice the longest lag searched). */
  minHistoryBlocks?: number;
}

export class DelayEstimator {
  private readonly maxLag: number;
  private readonly blockMs: number;
  private readonly floor: number;
  private readonly minActive: number;
  private readonly minHistory: number;
  private readonly micLog: Float32Array;
  private readonly refBlock: Float64Array;
  private count = 0;

  constructor(options: DelayEstimatorOptions = {}) {
    this.blockMs = options.blockMs ?? 10;
    this.maxLag = Math.round(((options.maxDelayMs ?? 500) + (options.guardMs ?? 100)) / this.blockMs);
    const window = Math.round((options.windowMs ?? 4000) / this.blockMs);
    this.micLog = new Float32Array(window);
    this.refBlock = new Float64Array(window);
    this.floor = options.floorEnergy ?? 100;
    this.minActive = Math.round(window * (options.minActiveFraction ?? 0.25));
    this.minHistory = Math.max(this.maxLag + 1, options.minHistoryBlocks ?? this.maxLag * 2);
  }

  /** One microphone block: its energy and where it lies on the reference's block clock (fractional). */
  addMicBlock(energy: number, refBlock: number): void {
    const i = this.count % this.micLog.length;
    this.micLog[i] = Math.log(Math.max(energy, this.floor));
    this.refBlock[i] = refBlock;
    this.count++;
  }

  /** The best delay over the window, or null without enough reference activity in it. */
  estimate(refEnergy: (block: number) => number): DelayEstimate | null {
    const n = Math.min(this.count, this.micLog.length);
    if (n < this.minHistory) return null;
    const first = this.count - n;
    const x = new Float64Array(n);
    let sx = 0;
    let sxx = 0;
    for (let j = 0; j < n; j++) {
      const v = this.micLog[(first + j) % this.micLog.length];
      x[j] = v;
      sx += v;
      sxx += v * v;
    }
    const varX = sxx - (sx * sx) / n;
    if (varX <= 1e-9) return null;
    const logFloor = Math.log(this.floor);
    // The reference's log energies over every block any lag reads, computed once (not once per
    // lag: 51 lags x 400 blocks of logs made this the canceller's costliest JS).
    const blocks = new Int32Array(n);
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      const b = Math.round(this.refBlock[(first + j) % this.refBlock.length]);
      blocks[j] = b;
      if (b < lowest) lowest = b;
      if (b > highest) highest = b;
    }
    const base = lowest - this.maxLag;
    const logRef = new Float64Array(highest - base + 1);
    let anyActive = false;
    for (let k = 0; k < logRef.length; k++) {
      const e = refEnergy(base + k);
      if (e > this.floor) anyActive = true;
      logRef[k] = Math.log(Math.max(e, this.floor));
    }
    // Nothing played that any lag could read (the user speaking, or nobody, for the whole
    // window): no lag has an active block, so there is no estimate; the correlation is skipped.
    if (!anyActive) return null;
    const corr = new Float64Array(this.maxLag + 1);
    let active = 0;
    for (let lag = 0; lag <= this.maxLag; lag++) {
      let sy = 0;
      let syy = 0;
      let sxy = 0;
      let activeHere = 0;
      const shift = base + lag;
      for (let j = 0; j < n; j++) {
        const v = logRef[blocks[j]! - shift]!;
        if (v > logFloor) activeHere++;
        sy += v;
        syy += v * v;
        sxy += x[j]! * v;
      }
      active = Math.max(active, activeHere);
      const varY = syy - (sy * sy) / n;
      corr[lag] = varY <= 1e-9 ? 0 : (sxy - (sx * sy) / n) / Math.sqrt(varX * varY);
    }
    if (active < this.minActive) return null;
    let best = 0;
    for (let lag = 1; lag <= this.maxLag; lag++) if (corr[lag] > corr[best]) best = lag;
    // A correlation still rising at the end of the search has no peak in it. The user talking on
    // after the answer stopped (a barge-in) makes a step in both envelopes, and a step correlates
    // best at the longest lag: locked there, the canceller looked for the echo 500 ms late and
    // let the next answers' own echo start turns. (The guard past maxDelayMs keeps real echoes a
    // little later than that, which the edge used to catch, found.) No real echo path is 0 ms.
    if (best === 0 || best === this.maxLag) return null;
    let offset = 0;
    const a = corr[best - 1];
    const b = corr[best];
    const c = corr[best + 1];
    const d = a - 2 * b + c;
    if (d < 0) offset = Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / d));
    return { delayMs: (best + offset) * this.blockMs, confidence: Math.max(0, corr[best]) };
  }
}

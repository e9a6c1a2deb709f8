import { RealFft } from './fft.js';
import { sharedFilterbank, type SparseFilterbank } from './filterbank.js';
import type { MelOptions } from './options.js';
import { makeWindow } from './window.js';

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const LOG_NONE = 0;
const LOG_LN = 1;
const LOG_10 = 2;

/**
 * The per-hop hot path: one window of samples -> one log-Mel row.
 * Samples are read straight from the caller's ring buffer (power-of-two length, already scaled by
 * inputScale), and DC removal, pre-emphasis, windowing and the real FFT's even/odd packing happen
 * in one pass. Every buffer is allocated here once; computeRow allocates nothing.
 *
 * The options it needs are copied into this class: reading them from MelOptions objects (whose
 * hidden classes vary with the values callers put in them) made V8 deoptimise this code. The
 * fractional ones live in a Float64Array: V8 keeps a double-valued field in a mutable box and
 * copies the box (allocates) when optimised code reads it, which meant garbage on every hop.
 */
export class FrameProcessor {
  readonly filterbank: SparseFilterbank;
  private readonly winLength: number;
  private readonly ditherSeed: number;
  private readonly removeDc: boolean;
  private readonly magnitude: boolean;
  private readonly logKind: number;
  private readonly addFloor: boolean;
  /** [dither, preEmphasis, logFloor] */
  private readonly doubles = new Float64Array(3);
  private readonly window: Float64Array;
  private readonly fft: RealFft;
  private readonly power: Float64Array;
  /** Dithered copy of a window (dither must not touch the shared ring: frames overlap). */
  private readonly dithered: Float64Array;
  private readonly cmvnMean: Float64Array | null;
  private readonly cmvnIstd: Float64Array | null;
  /** Dither generator state [seed-driven uint32] and the spare Box-Muller value (typed: no boxing). */
  private readonly rngState = new Uint32Array(1);
  private readonly spareGaussian = new Float64Array(1);

  constructor(options: MelOptions) {
    this.winLength = options.winLength;
    this.ditherSeed = options.ditherSeed;
    this.removeDc = options.removeDc;
    this.magnitude = options.spectrum === 'magnitude';
    this.logKind = options.log === 'none' ? LOG_NONE : options.log === 'ln' ? LOG_LN : LOG_10;
    this.addFloor = options.logFloorMode === 'add';
    this.doubles.set([options.dither, options.preEmphasis, options.logFloor]);
    this.window = makeWindow(options);
    this.fft = new RealFft(options.nFft);
    this.power = new Float64Array(this.fft.bins);
    this.dithered = new Float64Array(nextPow2(options.winLength));
    this.filterbank = sharedFilterbank(options);
    const useCmvn = options.normalization === 'global-cmvn' && options.cmvn !== undefined;
    this.cmvnMean = useCmvn ? Float64Array.from(options.cmvn!.mean) : null;
    this.cmvnIstd = useCmvn ? Float64Array.from(options.cmvn!.istd) : null;
    this.resetDither();
  }

  resetDither(): void {
    this.rngState[0] = this.ditherSeed >>> 0;
    this.spareGaussian[0] = NaN;
  }

  /**
   * Computes the row for the winLength samples source[(start + i) & mask] and writes nMels values
   * at out[outOffset...]. `source` is not modified.
   */
  computeRow(source: Float64Array, start: number, mask: number, out: Float32Array, outOffset: number): void {
    const n = this.winLength;
    let src = source;
    let at = start;
    let m = mask;
    const dither = this.doubles[0];
    if (dither > 0) {
      const d = this.dithered;
      for (let i = 0; i < n; i++) d[i] = source[(start + i) & mask] + dither * this.gaussian();
      src = d;
      at = 0;
      m = d.length - 1;
    }
    let mean = 0;
    if (this.removeDc) {
      for (let i = 0; i < n; i++) mean += src[(at + i) & m];
      mean /= n;
    }
    // DC removal, pre-emphasis (x[-1] = x[0]) and the window in one pass, written in the real
    // FFT's packing: (x[i] - mean) - c (x[i-1] - mean) = x[i] - c x[i-1] - mean (1 - c).
    const c = this.doubles[1];
    const shift = mean * (1 - c);
    const w = this.window;
    const re = this.fft.packedRe;
    const im = this.fft.packedIm;
    let prev = src[at & m];
    let j = 0;
    let i = 0;
    for (; i + 1 < n; i += 2, j++) {
      const a = src[(at + i) & m];
      const b = src[(at + i + 1) & m];
      re[j] = (a - c * prev - shift) * w[i];
      im[j] = (b - c * a - shift) * w[i + 1];
      prev = b;
    }
    if (i < n) {
      re[j] = (src[(at + i) & m] - c * prev - shift) * w[i];
      im[j] = 0;
      j++;
    }
    // Zero-padding to nFft. Where the window sits inside the FFT input is a circular shift, which
    // leaves the power spectrum unchanged, so it always sits at the start.
    re.fill(0, j);
    im.fill(0, j);
    const power = this.power;
    this.fft.powerFromPacked(power);
    if (this.magnitude) for (let k = 0; k < power.length; k++) power[k] = Math.sqrt(power[k]);

    const fb = this.filterbank;
    const { start: first, length, offset, weights } = fb;
    const floor = this.doubles[2];
    const add = this.addFloor;
    const logKind = this.logKind;
    const cmvnMean = this.cmvnMean;
    const cmvnIstd = this.cmvnIstd;
    for (let b = 0; b < fb.nMels; b++) {
      let sum = 0;
      const s = first[b];
      const off = offset[b] - s;
      const end = s + length[b];
      for (let k = s; k < end; k++) sum += weights[off + k] * power[k];
      let v: number;
      if (logKind === LOG_NONE) v = sum;
      else {
        const arg = add ? sum + floor : sum > floor ? sum : floor;
        // Math.log is cheaper than Math.log10 in V8; the results differ by an ulp.
        v = logKind === LOG_LN ? Math.log(arg) : Math.log(arg) * Math.LOG10E;
      }
      if (cmvnMean !== null) v = (v - cmvnMean[b]) * cmvnIstd![b];
      out[outOffset + b] = v;
    }
  }

  // mulberry32 uniform in (0, 1], Box-Muller pairs.
  private uniform(): number {
    let t = (this.rngState[0] = (this.rngState[0] + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967296;
  }

  private gaussian(): number {
    const spare = this.spareGaussian[0];
    if (!Number.isNaN(spare)) {
      this.spareGaussian[0] = NaN;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spareGaussian[0] = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

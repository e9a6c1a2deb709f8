// The echo the adaptive filter would predict from another reading of the reference, without
// touching the filter: its impulse response (SpeexDSP's, read out) convolved with that reading.
// Used to test a hypothesis about where the echo comes from (stall-check.ts): the share of a
// microphone frame's energy the prediction explains (the squared correlation of the two
// waveforms, so the response's scale does not matter). The user's voice is not correlated with
// the assistant's waveform; an echo read from the right place is, closely.
import type { EchoReference } from './reference.js';
import { ComplexFft } from '../mel/fft.js';
import { FRACTIONAL_TAPS, readAtFraction } from './fractional-delay.js';

/** The taps holding this share of the response's energy are convolved (the rest is the room's faint tail). */
const ENERGY_KEPT = 0.99;
/** bestShift: readings predicting less than this share of the loudest one's energy (-30 dB) are not candidates. */
const QUIETEST_READING = 1e-3;

export class ShadowEcho {
  private ir = new Float64Array(0);
  private first = 0;
  private last = -1;
  private reference = new Int16Array(0);
  private squares = new Float64Array(0);
  private crosses = new Float64Array(0);
  private lagProducts = new Float64Array(0);
  private readonly tiltedCross = new Float64Array(2 * TILTED_REACH - 1);
  private readonly crossAt = new Float32Array(1);

  /** Takes the filter's impulse response (tap k: the reference k samples before the microphone sample). */
  load(ir: Int32Array): void {
    if (this.ir.length !== ir.length) this.ir = new Float64Array(ir.length);
    let total = 0;
    for (let k = 0; k < ir.length; k++) {
      this.ir[k] = ir[k]!;
      total += this.ir[k]! * this.ir[k]!;
    }
    // The shortest span of taps around the loudest ones that holds ENERGY_KEPT of the energy: trimmed from both ends.
    let first = 0;
    let last = ir.length - 1;
    let dropped = 0;
    const droppable = total * (1 - ENERGY_KEPT);
    while (first < last) {
      const head = this.ir[first]! * this.ir[first]!;
      const tail = this.ir[last]! * this.ir[last]!;
      const next = Math.min(head, tail);
      if (dropped + next > droppable) break;
      dropped += next;
      if (head <= tail) first++;
      else last--;
    }
    this.first = first;
    this.last = total > 0 ? last : -1;
  }

  /**
   * The share (0..1) of `mic`'s energy explained by the loaded response applied to the reference
   * read from absolute sample `from` on (the filter's reading for the frame's first sample; between
   * samples, through the reference's fractional delay).
   */
  explained(mic: Int16Array, reference: EchoReference, from: number): number {
    if (this.last < this.first) return 0;
    const n = mic.length;
    const span = this.last - this.first;
    const needed = n + span;
    if (this.reference.length < needed) this.reference = new Int16Array(needed);
    // reference[j] is absolute sample from - last + j.
    reference.readAt(from - this.last, this.reference.subarray(0, needed));
    let cross = 0;
    let predicted = 0;
    let heard = 0;
    for (let i = 0; i < n; i++) {
      let y = 0;
      // Sample i's tap k reads absolute from + i - k, i.e. reference[i + last - k].
      for (let k = this.first, j = i + span; k <= this.last; k++, j--) y += this.ir[k]! * this.reference[j]!;
      cross += y * mic[i]!;
      predicted += y * y;
      heard += mic[i]! * mic[i]!;
    }
    if (predicted === 0 || heard === 0 || cross <= 0) return 0;
    return (cross * cross) / (predicted * heard);
  }

  /**
   * The reading of the reference that explains `mic` best: `mic[i]` is read at `from + i + shift`
   * (`from` may lie between samples, as the filter reads it) for every whole shift in [minShift, maxShift] (samples; negative: the echo comes later than
   * placed, as after an underrun the server did not see). Returns that shift and the share it
   * explains, and the share the reading as placed (shift 0, when in range) explains; `peak`: where
   * within a sample of the best the share peaks, between samples, and `peakExplained` the share
   * there (a client's run begins between two of the server's samples: read half a sample off, the
   * best whole reading explained 0.6-0.85 of an echo the filter had cancelled 30 dB of). The
   * correlation is band-limited, so it is read between its lags through the reference's
   * fractional delay (fractional-delay.ts), to 1/32 sample. Computed by
   * FFT (the prediction over the whole range, then its correlation with `mic`): ~3 ms for 50 ms of
   * microphone against 600 ms of shifts, where the direct sums took 40-80 ms.
   */
  bestShift(mic: Int16Array, reference: EchoReference, from: number, minShift: number, maxShift: number): ShiftFound {
    const none = { shift: 0, explained: 0, asPlaced: 0, peak: 0, peakExplained: 0, peakBroadband: 0, asPlacedTilted: 0 };
    if (this.last < this.first || maxShift < minShift) return none;
    const n = mic.length;
    const taps = this.last - this.first + 1;
    const span = taps - 1;
    const range = maxShift - minShift;
    // The reference the predictions need: reading positions [first - span, first + n + range) with first = from + minShift.
    const start = from + minShift;
    const length = n + range + span;
    const w = fftWorkspace(length + span + 1);
    const size = w.fft.size;
    if (this.reference.length < length) this.reference = new Int16Array(length);
    reference.readAt(start - this.last, this.reference.subarray(0, length));
    // R = FFT(reference), H = FFT(response's kept taps); P = R H is the prediction's spectrum.
    w.aRe.fill(0);
    w.aIm.fill(0);
    for (let j = 0; j < length; j++) w.aRe[j] = this.reference[j]!;
    w.fft.transform(w.aRe, w.aIm);
    w.bRe.fill(0);
    w.bIm.fill(0);
    for (let k = 0; k < taps; k++) w.bRe[k] = this.ir[this.first + k]!;
    w.fft.transform(w.bRe, w.bIm);
    for (let k = 0; k < size; k++) {
      const re = w.aRe[k]! * w.bRe[k]! - w.aIm[k]! * w.bIm[k]!;
      const im = w.aRe[k]! * w.bIm[k]! + w.aIm[k]! * w.bRe[k]!;
      w.aRe[k] = re;
      w.aIm[k] = im;
    }
    // The prediction itself (for its energy per shift): Y = IFFT(P); Y[span + i] is reading position start + i.
    w.bRe.set(w.aRe);
    for (let k = 0; k < size; k++) w.bIm[k] = -w.aIm[k]!;
    w.fft.transform(w.bRe, w.bIm);
    if (this.squares.length < n + range + 2) {
      this.squares = new Float64Array(n + range + 2);
      this.lagProducts = new Float64Array(n + range + 2);
    }
    const { squares, lagProducts } = this;
    squares[0] = 0;
    lagProducts[0] = 0;
    for (let i = 0, before = 0; i < n + range; i++) {
      const y = w.bRe[span + i]! / size;
      squares[i + 1] = squares[i]! + y * y;
      // With the sample before (for the pre-emphasised energies: peakBetween).
      lagProducts[i + 1] = lagProducts[i]! + y * before;
      before = y;
    }
    // The correlation with the microphone: IFFT(P conj(FFT(mic)))[span + o] = sum_i mic[i] Y[span + o + i].
    w.bRe.fill(0);
    w.bIm.fill(0);
    let heard = 0;
    let heardTilted = 0;
    for (let i = 0; i < n; i++) {
      w.bRe[i] = mic[i]!;
      heard += mic[i]! * mic[i]!;
      if (i > 0) heardTilted += (mic[i]! - TILT * mic[i - 1]!) ** 2;
    }
    if (heard === 0) return none;
    w.fft.transform(w.bRe, w.bIm);
    for (let k = 0; k < size; k++) {
      // P conj(M), conjugated for the inverse by the forward transform.
      const re = w.aRe[k]! * w.bRe[k]! + w.aIm[k]! * w.bIm[k]!;
      const im = w.aIm[k]! * w.bRe[k]! - w.aRe[k]! * w.bIm[k]!;
      w.aRe[k] = re;
      w.aIm[k] = -im;
    }
    w.fft.transform(w.aRe, w.aIm);
    // A reading that predicts next to nothing cannot be the echo of what was heard (and its share,
    // a ratio of two rounding errors, can come out anything): it must predict within 30 dB of the loudest.
    let loudest = 0;
    for (let offset = 0; offset <= range; offset++) loudest = Math.max(loudest, squares[offset + n]! - squares[offset]!);
    if (this.crosses.length < range + 1) this.crosses = new Float64Array(range + 1);
    const crosses = this.crosses;
    const quietest = loudest * QUIETEST_READING;
    let best = none;
    for (let offset = 0; offset <= range; offset++) {
      const cross = (crosses[offset] = w.aRe[span + offset]! / size);
      const predicted = squares[offset + n]! - squares[offset]!;
      const share = shareOf(cross, predicted, heard, quietest);
      const shift = offset + minShift;
      if (shift === 0) best = { ...best, asPlaced: share };
      if (share > best.explained) best = { ...best, shift, explained: share };
    }
    if (best.explained === 0) return none;
    const at = best.shift - minShift;
    // Pre-emphasised, over the lags the interpolator reads (at the range's edges: the best whole reading).
    if (at - TILTED_REACH < 0 || at + TILTED_REACH > range) return { ...best, peak: best.shift, peakExplained: best.explained, peakBroadband: best.explained, asPlacedTilted: best.asPlaced };
    const tilted = this.tiltedShares(at, n, heardTilted, quietest * (1 + TILT * TILT));
    const placed = -minShift;
    const asPlacedTilted = Math.abs(placed - at) <= TILTED_REACH - FRACTIONAL_TAPS ? tilted.at(placed) : best.asPlaced;
    const peak = tilted.peak();
    // The broadband share there too (the whole readings' measure, read between lags the same way).
    readAtFraction(crosses, 0, peak.offset, this.crossAt);
    const below = Math.floor(peak.offset);
    const energyBelow = squares[below + n]! - squares[below]!;
    const predicted = energyBelow + (peak.offset - below) * (squares[below + 1 + n]! - squares[below + 1]! - energyBelow);
    const peakBroadband = Math.max(best.explained, shareOf(this.crossAt[0]!, predicted, heard, quietest));
    return { ...best, peak: peak.offset + minShift, peakExplained: peak.share, peakBroadband, asPlacedTilted };
  }

  /**
   * The pre-emphasised shares around offset `at` (SpeexDSP adapts on pre-emphasised signals: what
   * it cancels least is where a reading a fraction of a sample off shows; the broadband share, led
   * by the low band, barely moved). From the whole lags' correlations and energies: the
   * pre-emphasised correlation is (1 + a^2) c(o) - a (c(o - 1) + c(o + 1)), the prediction's
   * energy (1 + a^2) E(o) - 2a L(o) (L: its products with the sample before), to a sample at the
   * window's edges. `at(offset)`: the share at a fractional offset within TILTED_REACH -
   * FRACTIONAL_TAPS of `at`; `peak()`: the best within a sample of it, to 1/PEAK_STEPS sample.
   */
  private tiltedShares(at: number, n: number, heard: number, quietest: number): { at: (offset: number) => number; peak: () => { offset: number; share: number } } {
    const { crosses, squares, lagProducts, tiltedCross, crossAt } = this;
    const first = at - TILTED_REACH + 1;
    for (let j = 0; j < tiltedCross.length; j++) {
      const o = first + j;
      tiltedCross[j] = (1 + TILT * TILT) * crosses[o]! - TILT * (crosses[o - 1]! + crosses[o + 1]!);
    }
    const energy = (o: number) => (1 + TILT * TILT) * (squares[o + n]! - squares[o]!) - 2 * TILT * (lagProducts[o + n]! - lagProducts[o + 1]!);
    const shareAt = (offset: number) => {
      readAtFraction(tiltedCross, first, offset, crossAt);
      // The prediction's energy changes little within a sample: read between lags linearly.
      const below = Math.floor(offset);
      const predicted = energy(below) + (offset - below) * (energy(below + 1) - energy(below));
      return shareOf(crossAt[0]!, predicted, heard, quietest);
    };
    const peak = () => {
      let best = { offset: at, share: shareAt(at) };
      for (let k = -PEAK_STEPS; k <= PEAK_STEPS; k++) {
        const share = k === 0 ? best.share : shareAt(at + k / PEAK_STEPS);
        if (share > best.share) best = { offset: at + k / PEAK_STEPS, share };
      }
      return best;
    };
    return { at: shareAt, peak };
  }
}

/** Pre-emphasis (SpeexDSP's own, 0.9) for the shares between samples. */
const TILT = 0.9;
/** Lags either side of the best whose pre-emphasised correlation is formed: the interpolator's reach within a sample of it, and within two samples more (the reading as placed, AGREE away in fine-align.ts). */
const TILTED_REACH = FRACTIONAL_TAPS + 4;

/** PEAK_STEPS fractional readings a sample, either side of the best whole one. */
const PEAK_STEPS = 32;

/** The share of the heard energy a prediction explains (0 for one under `quietest`, or anti-correlated). */
function shareOf(cross: number, predicted: number, heard: number, quietest: number): number {
  return cross > 0 && predicted > quietest ? Math.min(1, (cross * cross) / (predicted * heard)) : 0;
}

/** What bestShift found: the best whole shift and its share, the share as placed, and the share's peak between samples. */
export interface ShiftFound {
  shift: number;
  explained: number;
  asPlaced: number;
  /** Where within a sample of the best the pre-emphasised share peaks, that share, and the pre-emphasised share as placed (the broadband one where placed is not near the best). */
  peak: number;
  peakExplained: number;
  /** The broadband share at `peak` (the best whole reading's, where that is more). */
  peakBroadband: number;
  asPlacedTilted: number;
}

/** FFT buffers shared by every session's searches (one at a time: the event loop runs them in turn), sized up as needed. */
interface FftWorkspace {
  fft: ComplexFft;
  aRe: Float64Array;
  aIm: Float64Array;
  bRe: Float64Array;
  bIm: Float64Array;
}
let workspace: FftWorkspace | null = null;

function fftWorkspace(atLeast: number): FftWorkspace {
  if (workspace && workspace.fft.size >= atLeast) return workspace;
  let size = 1;
  while (size < atLeast) size *= 2;
  workspace = { fft: new ComplexFft(size), aRe: new Float64Array(size), aIm: new Float64Array(size), bRe: new Float64Array(size), bIm: new Float64Array(size) };
  return workspace;
}

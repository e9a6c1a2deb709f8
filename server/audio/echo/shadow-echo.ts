// The echo the adaptive filter would predict from another reading of the reference, without
// touching the filter: its impulse response (SpeexDSP's, read out) convolved with that reading.
// Used to test a hypothesis about where the echo comes from (stall-check.ts): the share of a
// microphone frame's energy the prediction explains (the squared correlation of the two
// waveforms, so the response's scale does not matter). The user's voice is not correlated with
// the assistant's waveform; an echo read from the right place is, closely.
import type { EchoReference } from './reference.js';
import { ComplexFft } from '../mel/fft.js';

/** The taps holding this share of the response's energy are convolved (the rest is the room's faint tail). */
const ENERGY_KEPT = 0.99;
/** bestShift: readings predicting less than this share of the loudest one's energy (-30 dB) are not candidates. */
const QUIETEST_READING = 1e-3;

export class ShadowEcho {
  private ir = new Float64Array(0);
  private first = 0;
  private last = -1;
  private reference = new Int16Array(0);
  private prediction = new Float64Array(0);
  private squares = new Float64Array(0);

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
   * read from absolute sample `from` on (the filter's reading for the frame's first sample).
   */
  explained(mic: Int16Array, reference: EchoReference, from: number): number {
    if (this.last < this.first) return 0;
    const n = mic.length;
    const span = this.last - this.first;
    const needed = n + span;
    if (this.reference.length < needed) this.reference = new Int16Array(needed);
    if (this.prediction.length < n) this.prediction = new Float64Array(n);
    // reference[j] is absolute sample from - last + j.
    reference.read(Math.round(from) - this.last, this.reference.subarray(0, needed));
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
   * for every whole shift in [minShift, maxShift] (samples; negative: the echo comes later than
   * placed, as after an underrun the server did not see). Returns that shift and the share it
   * explains, and the share the reading as placed (shift 0, when in range) explains. Computed by
   * FFT (the prediction over the whole range, then its correlation with `mic`): ~3 ms for 50 ms of
   * microphone against 600 ms of shifts, where the direct sums took 40-80 ms.
   */
  bestShift(mic: Int16Array, reference: EchoReference, from: number, minShift: number, maxShift: number): { shift: number; explained: number; asPlaced: number } {
    const none = { shift: 0, explained: 0, asPlaced: 0 };
    if (this.last < this.first || maxShift < minShift) return none;
    const n = mic.length;
    const taps = this.last - this.first + 1;
    const span = taps - 1;
    const range = maxShift - minShift;
    // The reference the predictions need: reading positions [first - span, first + n + range) with first = from + minShift.
    const start = Math.round(from) + minShift;
    const length = n + range + span;
    const w = fftWorkspace(length + span + 1);
    const size = w.fft.size;
    if (this.reference.length < length) this.reference = new Int16Array(length);
    reference.read(start - this.last, this.reference.subarray(0, length));
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
    const squares = this.squares.length >= n + range + 2 ? this.squares : (this.squares = new Float64Array(n + range + 2));
    squares[0] = 0;
    for (let i = 0; i < n + range; i++) {
      const y = w.bRe[span + i]! / size;
      squares[i + 1] = squares[i]! + y * y;
    }
    // The correlation with the microphone: IFFT(P conj(FFT(mic)))[span + o] = sum_i mic[i] Y[span + o + i].
    w.bRe.fill(0);
    w.bIm.fill(0);
    let heard = 0;
    for (let i = 0; i < n; i++) {
      w.bRe[i] = mic[i]!;
      heard += mic[i]! * mic[i]!;
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
    let best = none;
    for (let offset = 0; offset <= range; offset++) {
      const cross = w.aRe[span + offset]! / size;
      const predicted = squares[offset + n]! - squares[offset]!;
      const share = cross > 0 && predicted > loudest * QUIETEST_READING ? Math.min(1, (cross * cross) / (predicted * heard)) : 0;
      const shift = offset + minShift;
      if (shift === 0) best = { ...best, asPlaced: share };
      if (share > best.explained) best = { shift, explained: share, asPlaced: best.asPlaced };
    }
    return best;
  }
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

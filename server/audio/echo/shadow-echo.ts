// The echo the adaptive filter would predict from another reading of the reference, without
// touching the filter: its impulse response (SpeexDSP's, read out) convolved with that reading.
// Used to test a hypothesis about where the echo comes from (stall-check.ts): the share of a
// microphone frame's energy the prediction explains (the squared correlation of the two
// waveforms, so the response's scale does not matter). The user's voice is not correlated with
// the assistant's waveform; an echo read from the right place is, closely.
import type { EchoReference } from './reference.js';

/** The taps holding this share of the response's energy are convolved (the rest is the room's faint tail). */
const ENERGY_KEPT = 0.99;

export class ShadowEcho {
  private ir = new Float64Array(0);
  private first = 0;
  private last = -1;
  private reference = new Int16Array(0);
  private prediction = new Float64Array(0);

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
}

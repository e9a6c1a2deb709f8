// The echo envelope model (echo-envelope.ts) band by band: how loud the echo can be in each of
// BANDS frequency bands of a 10 ms frame, so that the user's voice over a loud echo that no
// filter cancels yet is heard where it stands out of the echo's spectrum, not only where it
// outweighs the echo's whole loudness.
//
// Why: two voices at the same level (0 dB of echo re the user, the first seconds of an answer)
// each fill different bands at any moment (their formants and pitch differ). Summed over the
// spectrum the user adds ~3 dB, which the broadband model cannot tell from its own error (the echo
// alone came within 6.3 dB of its prediction); band by band, the user's voice stands 9 dB clear
// of the echo's prediction (and the noise floor) in bands holding 30% of the microphone's energy
// in 66-71% of its frames over 0 dB echo, the echo alone in 0.4-0.7% of its frames
// (test/audio/echo-spectrum.test.ts, the four simulated rooms). In a first check with the
// broadband model trained the same way, 6-42% of the user's frames stood 9 dB over its prediction.
// Cost: a 256-point FFT of the microphone and of each new reference block, and 16 x 75 taps to
// predict and learn: ~1.6 ms CPU per session-second, only while the microphone hears an echo path.
//
// Each band's amplitude is predicted as a non-negative combination of the reference's amplitude
// in that band over the last ECHO_ENVELOPE_TAPS blocks (NLMS, like the broadband model), plus the
// band's noise floor. It learns on the frames the broadband model learns on (its double-talk
// hold and its stand-downs decide for both), and is used while that model is usable.
// It learns as the broadband model does: the same step, half of it for louder frames once trained, the same training.
import { ECHO_ENVELOPE_TAPS, STEP, STEP_UP_TRAINED, TRAINED_AFTER_FRAMES } from './echo-envelope.js';
import { followNoiseFloor } from './noise-floor.js';
import { ECHO_BLOCK_SAMPLES, type EchoReference } from './reference.js';
import { RealFft } from '../mel/fft.js';

const FFT_SIZE = 256;
/** Samples before a frame that its analysis window reaches back to. */
const LOOKBACK = FFT_SIZE - ECHO_BLOCK_SAMPLES;
/** Log-spaced bands over 150-7000 Hz (16 kHz audio). */
export const BANDS = 16;
const LOW_HZ = 150;
const HIGH_HZ = 7000;
/** A band's microphone energy this far over its predicted echo + noise (9 dB) is not the echo's. */
const CLEAR_RATIO = 10 ** (9 / 10);

const EDGES: number[] = (() => {
  const binHz = 16000 / FFT_SIZE;
  const edges: number[] = [];
  for (let b = 0; b <= BANDS; b++) edges.push(Math.round((LOW_HZ * (HIGH_HZ / LOW_HZ) ** (b / BANDS)) / binHz));
  // At least one bin per band.
  for (let b = 1; b <= BANDS; b++) if (edges[b]! <= edges[b - 1]!) edges[b] = edges[b - 1]! + 1;
  return edges;
})();

const WINDOW = Float64Array.from({ length: FFT_SIZE }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / FFT_SIZE));

/** Reference blocks whose band amplitudes are kept (the taps, and the block arriving next). */
const RING_BLOCKS = ECHO_ENVELOPE_TAPS + 1;

export class EchoSpectrum {
  private readonly reference: EchoReference;
  private readonly fft = new RealFft(FFT_SIZE);
  private readonly input = new Float64Array(FFT_SIZE);
  private readonly power = new Float64Array(FFT_SIZE / 2 + 1);
  private readonly readBuffer = new Int16Array(FFT_SIZE);
  /** The microphone's last LOOKBACK samples, then the current frame. */
  private readonly micWindow = new Int16Array(FFT_SIZE);
  private readonly micBands = new Float64Array(BANDS);
  private readonly noise = new Float64Array(BANDS).fill(Number.POSITIVE_INFINITY);
  /** weights[tap * BANDS + band] (tap-major, as the ring: the inner loops run over bands). */
  private readonly weights = new Float64Array(ECHO_ENVELOPE_TAPS * BANDS);
  private readonly predicted = new Float64Array(BANDS);
  private readonly norm = new Float64Array(BANDS);
  private readonly scale = new Float64Array(BANDS);
  /**
   * Band amplitudes of reference blocks: ring[(block % RING_BLOCKS) * BANDS + band], for the block
   * in ringBlock[slot], computed when its energy was ringEnergy[slot] (a cut rewrites blocks).
   */
  private readonly ring = new Float64Array(RING_BLOCKS * BANDS);
  private readonly ringBlock = new Float64Array(RING_BLOCKS).fill(-1);
  private readonly ringEnergy = new Float64Array(RING_BLOCKS).fill(-1);
  /** Ring offsets of this frame's taps (tap k: block now - k). */
  private readonly tapOffset = new Int32Array(ECHO_ENVELOPE_TAPS);
  private learnt = 0;
  /** The last frame's microphone energy in bands clear of the echo, and in all bands (FFT units). */
  private clearEnergy = 0;
  private totalEnergy = 0;

  constructor(reference: EchoReference) {
    this.reference = reference;
  }

  get trained(): boolean {
    return this.learnt >= TRAINED_AFTER_FRAMES;
  }

  /** The last frame: its energy in bands clear of the echo (see CLEAR_RATIO), and in all bands. */
  get clear(): number {
    return this.clearEnergy;
  }

  get total(): number {
    return this.totalEnergy;
  }

  /**
   * Keeps the microphone's analysis window going on a frame the model does not judge (no echo
   * can be in it, or the model is not run): cheap, so the next judged frame has its lookback.
   */
  skip(mic: Int16Array): void {
    this.micWindow.copyWithin(0, ECHO_BLOCK_SAMPLES);
    this.micWindow.set(mic, LOOKBACK);
    this.clearEnergy = this.totalEnergy = 0;
  }

  /**
   * One 10 ms microphone frame whose echo comes from reference block `now` and the blocks
   * before it; learns from it when `learn` (the broadband model learnt from it: no double talk).
   */
  frame(mic: Int16Array, now: number, learn: boolean): void {
    this.skip(mic);
    for (let i = 0; i < FFT_SIZE; i++) this.input[i] = this.micWindow[i]! * WINDOW[i]!;
    this.bands(this.micBands);
    const { weights, ring, predicted, norm } = this;
    predicted.fill(0);
    norm.fill(1e-9);
    const slotNow = ((now % RING_BLOCKS) + RING_BLOCKS) % RING_BLOCKS;
    for (let k = 0; k < ECHO_ENVELOPE_TAPS; k++) {
      const at = this.blockOffset(now - k, slotNow >= k ? slotNow - k : slotNow - k + RING_BLOCKS);
      this.tapOffset[k] = at;
      // A silent block adds nothing to the prediction and teaches nothing.
      if (at < 0) continue;
      const row = k * BANDS;
      for (let b = 0; b < BANDS; b++) {
        const amp = ring[at + b]!;
        predicted[b] += weights[row + b]! * amp;
        norm[b] += amp * amp;
      }
    }
    let clear = 0;
    let total = 0;
    for (let b = 0; b < BANDS; b++) {
      const p = predicted[b]!;
      const micEnergy = this.micBands[b]!;
      this.noise[b] = followNoiseFloor(this.noise[b]!, micEnergy);
      total += micEnergy;
      if (micEnergy > (p * p + this.noise[b]!) * CLEAR_RATIO) clear += micEnergy;
    }
    this.clearEnergy = clear;
    this.totalEnergy = total;
    if (learn) this.learn();
  }

  private learn(): void {
    const { weights, ring, scale } = this;
    for (let b = 0; b < BANDS; b++) {
      const error = Math.sqrt(this.micBands[b]!) - this.predicted[b]!;
      scale[b] = ((this.trained && error > 0 ? STEP_UP_TRAINED : STEP) * error) / this.norm[b]!;
    }
    for (let k = 0; k < ECHO_ENVELOPE_TAPS; k++) {
      const at = this.tapOffset[k]!;
      if (at < 0) continue;
      const row = k * BANDS;
      for (let b = 0; b < BANDS; b++) {
        const w = weights[row + b]! + scale[b]! * ring[at + b]!;
        weights[row + b] = w > 0 ? w : 0;
      }
    }
    this.learnt++;
  }

  /** Where in the ring (at `slot`: block % RING_BLOCKS) reference block `block`'s band amplitudes are; -1 where it is silence or unknown. */
  private blockOffset(block: number, slot: number): number {
    const energy = this.reference.blockEnergy(block);
    if (energy === 0) return -1;
    const at = slot * BANDS;
    if (this.ringBlock[slot] === block && this.ringEnergy[slot] === energy) return at;
    this.ringBlock[slot] = block;
    this.ringEnergy[slot] = energy;
    const amp = this.ring.subarray(at, at + BANDS);
    this.reference.read(block * ECHO_BLOCK_SAMPLES - LOOKBACK, this.readBuffer);
    for (let i = 0; i < FFT_SIZE; i++) this.input[i] = this.readBuffer[i]! * WINDOW[i]!;
    this.bands(amp);
    for (let b = 0; b < BANDS; b++) amp[b] = Math.sqrt(amp[b]!);
    return at;
  }

  /** Band energies of `this.input` into `out`. */
  private bands(out: Float64Array): void {
    this.fft.power(this.input, this.power);
    for (let b = 0; b < BANDS; b++) {
      let sum = 0;
      for (let k = EDGES[b]!; k < EDGES[b + 1]!; k++) sum += this.power[k]!;
      out[b] = sum;
    }
  }
}

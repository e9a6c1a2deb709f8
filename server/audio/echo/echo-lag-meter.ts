// Where the echo is against the reference the filter reads, measured from the signals themselves
// (not from the filter): the generalized cross-correlation with phase transform (GCC-PHAT) of the
// microphone and the reference as the filter heard them, over the last 256 ms, every 500 ms,
// around the filter's main tap, to a fraction of a sample. For the drift tracker (drift-tracker.ts).
//
// Why: a loudspeaker and a microphone on two clocks move the echo a sample every 0.2-0.6 s
// (100-300 ppm), and the filter follows late: at 100 ppm, 0.5 ms off 5 s in, a loud word was
// cancelled 3-6 dB where it had been 23, and the echo alone paused the answer (bench:echo clocks,
// 0 dB: 11 pauses in the 10 two-device rows, 9 of them 3.6-7.6 s into the first answer). The
// filter's main tap, the drift's only measure until then, is a poor one while the filter smears
// the moving echo over its taps (office, -300 ppm: 422, 459, 417 a second apart), so the first fit
// came 8 s in. Given the true rate from the start, those 9 pauses were none. Phase-transformed,
// the correlation peaks sharply at the echo's strongest path whatever the speech's spectrum: over
// 256 ms windows its positions lie within 0.13-0.28 samples (RMS) of a line, and three of them
// over a second put the rate within 3-17% of the true one (bench:echo's two-device rooms, offline).
//
// Cost: one 4096-point complex FFT forward (both signals packed) and one back, every 500 ms of
// echo while the filter is trusted, and the frames kept in two rings: 0.5-0.7 ms CPU per
// session-second on this 2-core machine (the meter alone, 600 s of frames).
import { ComplexFft } from '../mel/fft.js';
import { parabolicOffset } from './drift-tracker.js';

/** Samples correlated (256 ms at 16 kHz), and the FFT size (circular: lags within SPAN wrap a negligible share). */
const WINDOW = 4096;
/** Frames between measurements (500 ms of 10 ms frames). */
const HOP_FRAMES = 50;
/** Lags searched either side of the main tap (samples). */
const SPAN = 32;
/**
 * The phase-transformed correlation's peak (1: every bin in phase) under which a measurement is
 * not one: the echo not dominant (the user, noise, silence). The echo alone peaked at 0.3-0.7; the
 * windows that read a reflection 1-5 samples off, at 0.13-0.23.
 */
const MIN_PEAK = 0.25;
/** A reading this far off the one a frame on (samples, beyond the drift's fraction): the reading moved, and the window starts over. */
const MAX_STEP_ERROR = 0.5;

export class EchoLagMeter {
  private readonly frameSamples: number;
  /** The last frames pushed, as rings of whole frames: the microphone's holding the window, the reference's the window and the filter's length before it. */
  private readonly mic: Int16Array;
  private readonly play: Int16Array;
  /** Samples written into the rings so far (both rings are written at this count modulo their length). */
  private written = 0;
  private readonly fft = new ComplexFft(WINDOW);
  private readonly re = new Float64Array(WINDOW);
  private readonly im = new Float64Array(WINDOW);
  private readonly cRe = new Float64Array(WINDOW);
  private readonly cIm = new Float64Array(WINDOW);
  /** Frames pushed in a row (contiguous readings), and since the last measurement. */
  private contiguous = 0;
  private sinceMeasured = 0;
  private lastReading = Number.NaN;
  /** The last delay measured (measure's); null after a measurement that said nothing. */
  private lastDelay: number | null = null;

  constructor(frameSamples: number, filterLength: number) {
    this.frameSamples = frameSamples;
    const ring = (samples: number) => new Int16Array(Math.ceil(samples / frameSamples) * frameSamples);
    this.mic = ring(WINDOW);
    this.play = ring(WINDOW + filterLength + SPAN);
  }

  /** Frames needed in a row before a measurement: the window and the filter's length before it. */
  private get framesNeeded(): number {
    return Math.ceil(this.play.length / this.frameSamples);
  }

  /**
   * One frame the filter cancelled while trusted, with reference audible: the microphone, the
   * reference it read (`play`) and where (`reading`, reference samples). Frames not pushed (held,
   * idle, distrusted) break the window, as does a reading that moved.
   */
  push(mic: Int16Array, play: Int16Array, reading: number): void {
    if (!(Math.abs(reading - this.lastReading - this.frameSamples) <= MAX_STEP_ERROR)) this.contiguous = 0;
    this.lastReading = reading;
    this.mic.set(mic, this.written % this.mic.length);
    this.play.set(play, this.written % this.play.length);
    this.written += mic.length;
    this.contiguous++;
    this.sinceMeasured++;
  }

  /** A frame not pushed: the window starts over. */
  skip(): void {
    this.contiguous = 0;
  }

  /** Whether a measurement is due (call measure with the filter's main tap). */
  get due(): boolean {
    return this.contiguous >= this.framesNeeded && this.sinceMeasured >= HOP_FRAMES;
  }

  /**
   * The echo's delay (samples): how far behind the last frame's position (`behind` samples before
   * it, the filter reads the reference) its strongest path comes, measured over the window. Searched
   * around the last delay measured, or where none, around the filter's main tap (`mainTap`, samples
   * into the filter: read only then). Null where the correlation's peak is too weak to say.
   */
  measure(behind: number, mainTap: () => number): number | null {
    this.sinceMeasured = 0;
    const lag = this.lag(Math.round(this.lastDelay !== null ? this.lastDelay - behind : mainTap()));
    this.lastDelay = lag === null ? null : behind + lag;
    return this.lastDelay;
  }

  /** The echo's strongest path, samples into the filter (as its main tap is), searched within SPAN of `delay`. */
  private lag(delay: number): number | null {
    const end = this.play.length;
    if (delay - SPAN < 0 || delay + SPAN > end - WINDOW) return null;
    // The window: the last WINDOW samples of each ring (written up to `written`).
    const micRing = this.mic.length;
    const micStart = (this.written - WINDOW) % micRing;
    const playStart = (this.written - WINDOW - delay) % end;
    // Microphone real, the reference delayed by the main tap imaginary: both spectra from one FFT.
    const { re, im } = this;
    for (let t = 0; t < WINDOW; t++) {
      re[t] = this.mic[(micStart + t) % micRing]!;
      im[t] = this.play[(playStart + t) % end]!;
    }
    this.fft.transform(re, im);
    // Cross-spectrum M conj(R), phase only; the inverse taken as a forward FFT of the conjugate.
    const { cRe, cIm } = this;
    for (let k = 0; k < WINDOW; k++) {
      const j = (WINDOW - k) % WINDOW;
      const mRe = 0.5 * (re[k]! + re[j]!);
      const mIm = 0.5 * (im[k]! - im[j]!);
      const rRe = 0.5 * (im[k]! + im[j]!);
      const rIm = -0.5 * (re[k]! - re[j]!);
      const xRe = mRe * rRe + mIm * rIm;
      const xIm = mIm * rRe - mRe * rIm;
      const size = Math.hypot(xRe, xIm);
      cRe[k] = size > 0 ? xRe / size : 0;
      cIm[k] = size > 0 ? -xIm / size : 0;
    }
    this.fft.transform(cRe, cIm);
    // cRe[l] / WINDOW: the correlation at lag l (the microphone against the reference l samples later than the main tap).
    let best = -SPAN;
    for (let l = -SPAN; l <= SPAN; l++) if (cRe[(l + WINDOW) % WINDOW]! > cRe[(best + WINDOW) % WINDOW]!) best = l;
    const at = (l: number) => cRe[(l + WINDOW) % WINDOW]! / WINDOW;
    const peak = at(best);
    if (peak < MIN_PEAK || Math.abs(best) === SPAN) return null;
    return delay + best + parabolicOffset(at(best - 1), peak, at(best + 1));
  }
}

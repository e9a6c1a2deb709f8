// A fast-converging echo filter for the onset gate while SpeexDSP's filter is still young: per
// frequency bin, recursive least squares (RLS) over the reference's short-time spectra at the
// echo's delay (a convolutive transfer function: EARLY_TAPS taps of 10 ms).
//
// Why: SpeexDSP's MDF filter steps slowly until it has adapted over its whole length (about
// 1.2-1.6 s of echo for its 300 ms), and a room whose echo arrives past its span starts again
// when the delay is found, 2 s in. Meanwhile the gate had only the echo models' loudness
// predictions, which a user at 0 dB barely rises over. RLS converges whatever the reference's
// spectrum (its step follows the inverse of the reference's correlation, where NLMS steps by its
// power): echo alone, in bench:echo's four rooms, it cancels 17-27 dB 0.4-0.8 s after the echo
// first arrives, where SpeexDSP cancels 0-5 dB (measured with the delay given; a first Kalman
// filter with a diagonal state over 72 taps, an NLMS in effect, did no better than SpeexDSP).
//
// A bin meets a sound it has not learnt (x^H P x large: a new spectrum) and says nothing of it:
// such bins are left out of the frame's energies, which are sums over the bins it has learnt.
//
// Cost: a 512-point FFT of the microphone and of the reference, and per bin P x and a rank-one
// update of P (EARLY_TAPS^2 complex terms each): about 40 ms CPU per second over 126 bins on this
// 2-core machine, only in the first seconds of echo. Then, a witness (early-echo.ts), it learns by
// NLMS from the weights RLS learnt, with P let go: a tenth of that. Its output is the gate's
// evidence only: the audio the session hears on is SpeexDSP's.
import { RealFft } from '../mel/fft.js';
import { makeWindow } from '../mel/window.js';
import { followNoiseFloor } from './noise-floor.js';
import type { EchoReference } from './reference.js';

const FFT_SIZE = 512;
const HOP = 160;
/** Bins modelled: 94 Hz to 4 kHz (31.25 Hz a bin), where speech and its echo hold their energy. */
const FIRST_BIN = 3;
const LAST_BIN = 128;
const BINS = LAST_BIN - FIRST_BIN + 1;
/** Taps of 10 ms from where the filter is placed: 200 ms, the direct path and the room's tail. */
export const EARLY_TAPS = 20;
/** The echo's prediction is also made up to this many frames later (with MOVE_PARTS, 1-55 ms: a short underrun moved the echo), to see whether it fits better there. */
const SHIFTS = 5;
const RING = EARLY_TAPS + SHIFTS;
/**
 * Sub-frame parts of a move tried with each whole-frame shift (samples, 8 apart over half a hop
 * either way; added to the shift). A delay turns each bin by e^(-i w d): close enough to rank
 * moves by; the best is then tried exactly (residualMovedBy), the reference read there.
 */
const MOVE_PARTS = Array.from({ length: 21 }, (_, i) => (i - 10) * 8);
/** Moves this small are the nudges' (NUDGES): a drift read past, not a move. */
const LEAST_MOVE = 17;
/**
 * Sub-frame moves of the echo the prediction is also tried at (samples later, or earlier when
 * negative): a loudspeaker on another clock drifts the echo's delay (100 ppm: 2 samples in 1.3 s,
 * half a cycle at 4 kHz), and what the filter then leaves stood 10-20 dB over what it expected in
 * bench:echo's two-device clock rows before it followed. A pure delay turns each bin's echo by
 * e^(-i w d); the user's voice no turn explains.
 */
const NUDGES = [-16, -12, -8, -4, -2, -1, 1, 2, 4, 8, 12, 16];
/** Drift is judged over this many frames of echo alone, followed by at most this many samples at a time, where a nudge leaves this share of the residual (1 dB under). */
const FOLLOW_FRAMES = 10;
const FOLLOW_MAX_NUDGE = 2;
const FOLLOW_BETTER = 10 ** (-1 / 10);
/** RLS forgetting factor per frame (memory ~2 s: the room as the last seconds showed it). */
const FORGET = 0.995;
/** Initial inverse correlation: 1 / (REGULARIZE x the bin's reference power when first excited). */
const REGULARIZE = 1e-2;
/** A bin's reference power (FFT units, summed over the taps) under which it says nothing of the echo path: no update (nor does the inverse correlation grow over silence). */
const EXCITED = 1e6 * EARLY_TAPS;
/** A bin whose reference is this new to it (x^H P x: about 1 / the frames of such excitation learnt) is left out of the energies. */
const NOVELTY_MAX = 1;
/** Smoothing of each bin's microphone power before its floor is followed. */
const NOISE_SMOOTHING = 0.9;
/**
 * A witness's step (witness()): normalized LMS on the weights RLS learnt, per bin. Slow: it only
 * follows a room that changes (someone moving), and a frame of the user's voice it was not told
 * of moves the weights by no more than this share of its error.
 */
const TRACK_STEP = 0.1;
/** Frames before the microphone's analysis window holds no zeros from before the first. */
export const WINDOW_FRAMES = Math.ceil(FFT_SIZE / HOP);

const WINDOW = makeWindow({ window: 'hann', winLength: FFT_SIZE, periodicWindow: true, windowExponent: 1 });
/** cos and sin of w d per nudge and bin: [nudge * BINS + bin]. */
const NUDGE_COS = Float64Array.from({ length: NUDGES.length * BINS }, (_, i) => Math.cos((2 * Math.PI * (FIRST_BIN + (i % BINS)) * NUDGES[Math.floor(i / BINS)]!) / FFT_SIZE));
const NUDGE_SIN = Float64Array.from({ length: NUDGES.length * BINS }, (_, i) => Math.sin((2 * Math.PI * (FIRST_BIN + (i % BINS)) * NUDGES[Math.floor(i / BINS)]!) / FFT_SIZE));
const PART_COS = Float64Array.from({ length: MOVE_PARTS.length * BINS }, (_, i) => Math.cos((2 * Math.PI * (FIRST_BIN + (i % BINS)) * MOVE_PARTS[Math.floor(i / BINS)]!) / FFT_SIZE));
const PART_SIN = Float64Array.from({ length: MOVE_PARTS.length * BINS }, (_, i) => Math.sin((2 * Math.PI * (FIRST_BIN + (i % BINS)) * MOVE_PARTS[Math.floor(i / BINS)]!) / FFT_SIZE));

export class EarlyEchoFilter {
  private readonly reference: EchoReference;
  private readonly fft = new RealFft(FFT_SIZE);
  private readonly input = new Float64Array(FFT_SIZE);
  private readonly specRe = new Float64Array(FFT_SIZE / 2 + 1);
  private readonly specIm = new Float64Array(FFT_SIZE / 2 + 1);
  private readonly readBuffer = new Int16Array(FFT_SIZE);
  private readonly micWindow = new Int16Array(FFT_SIZE);
  /** Reference spectra of the last RING frames: [slot * BINS + bin]. */
  private readonly refRe = new Float64Array(RING * BINS);
  private readonly refIm = new Float64Array(RING * BINS);
  /** The last frame's residual over the counted bins with the prediction turned by each of NUDGES. */
  private readonly nudgedResidual = new Float64Array(NUDGES.length);
  /** Weights [bin * EARLY_TAPS + tap]: the echo is sum over taps of weight x reference. */
  private readonly wRe = new Float64Array(BINS * EARLY_TAPS);
  private readonly wIm = new Float64Array(BINS * EARLY_TAPS);
  /** Inverse correlation of each bin's tap vector, Hermitian: [bin * T * T + i * T + j]; let go once a witness. */
  private pRe = new Float64Array(BINS * EARLY_TAPS * EARLY_TAPS);
  private pIm = new Float64Array(BINS * EARLY_TAPS * EARLY_TAPS);
  /** Learning by NLMS, not RLS (witness()). */
  private nlms = false;
  /** Whether a bin's inverse correlation was initialised (at its first excitation). */
  private readonly started = new Uint8Array(BINS);
  /** The most the trace of a bin's inverse correlation may reach: where it started. */
  private readonly traceCap = new Float64Array(BINS);
  // The last frame's tap vectors and P x, per bin: [bin * EARLY_TAPS + tap]; and x^H P x.
  private readonly xRe = new Float64Array(BINS * EARLY_TAPS);
  private readonly xIm = new Float64Array(BINS * EARLY_TAPS);
  private readonly gRe = new Float64Array(BINS * EARLY_TAPS);
  private readonly gIm = new Float64Array(BINS * EARLY_TAPS);
  private readonly novelty = new Float64Array(BINS);
  /** The microphone's noise floor per bin (FFT units), and its sum over the bins the last frame counted. */
  private readonly noiseFloor = new Float64Array(BINS).fill(Number.POSITIVE_INFINITY);
  private readonly micSmoothed = new Float64Array(BINS);
  // Drift following (followDrift): residuals summed over the echo-alone frames since the last judgement, as read and per nudge.
  private driftBase = 0;
  private readonly driftEvidence = new Float64Array(NUDGES.length);
  private driftFrames = 0;
  private noise = 0;
  /** The last frame's a priori error and reference power (over the taps), per bin: what learn() learns from. */
  private readonly errRe = new Float64Array(BINS);
  private readonly errIm = new Float64Array(BINS);
  private readonly power = new Float64Array(BINS);
  /** The last frame's microphone spectrum over the modelled bins, and where its first tap read the reference (samples). */
  private readonly micRe = new Float64Array(BINS);
  private readonly micIm = new Float64Array(BINS);
  private lastRead = 0;
  /** Work buffers of laterMove (a residual per part) and residualMovedBy (the prediction per bin). */
  private readonly moveParts = new Float64Array(MOVE_PARTS.length);
  private readonly movedRe = new Float64Array(BINS);
  private readonly movedIm = new Float64Array(BINS);
  private frames = 0;
  private residual = 0;
  private echo = 0;
  private mic = 0;
  private micAll = 0;

  constructor(reference: EchoReference) {
    this.reference = reference;
  }

  /** What the filter left of the last frame's microphone, over its bins (FFT units: compare with echoEnergy, micEnergy). */
  get residualEnergy(): number {
    return this.residual;
  }

  /** The echo it predicted in the last frame. */
  get echoEnergy(): number {
    return this.echo;
  }

  /** The last frame's microphone over the same bins and window. */
  get micEnergy(): number {
    return this.mic;
  }

  /**
   * The share of the last frame's microphone (over all modelled bins) in the bins it counted: the
   * energies above speak for that much of what was heard. Low while the reference is a sound the
   * filter has not learnt (none counted at all: the energies are 0, not a perfect cancellation).
   */
  get countedShare(): number {
    return this.micAll > 0 ? this.mic / this.micAll : 0;
  }

  /**
   * The last frame was the echo alone: where the prediction turned by a sample or two has explained
   * such frames clearly better than as read for FOLLOW_FRAMES of them, the echo has drifted (a
   * loudspeaker on another clock) and the weights are turned there. RLS alone follows a drift
   * only as its memory (2 s) passes, and at 300 ppm that is 10 samples, half a cycle at 800 Hz.
   */
  followDrift(): void {
    this.driftBase += this.residual;
    for (let k = 0; k < NUDGES.length; k++) this.driftEvidence[k] += this.nudgedResidual[k]!;
    if (++this.driftFrames < FOLLOW_FRAMES) return;
    let best = -1;
    for (let k = 0; k < NUDGES.length; k++) {
      if (Math.abs(NUDGES[k]!) > FOLLOW_MAX_NUDGE) continue;
      if (this.driftEvidence[k]! < this.driftBase * FOLLOW_BETTER && (best < 0 || this.driftEvidence[k]! < this.driftEvidence[best]!)) best = k;
    }
    if (best >= 0) this.turn(best);
    this.driftBase = 0;
    this.driftEvidence.fill(0);
    this.driftFrames = 0;
  }

  private turn(k: number): void {
    const T = EARLY_TAPS;
    for (let b = 0; b < BINS; b++) {
      const c = NUDGE_COS[k * BINS + b]!, sn = NUDGE_SIN[k * BINS + b]!;
      for (let p = b * T; p < (b + 1) * T; p++) {
        const re = this.wRe[p]!, im = this.wIm[p]!;
        this.wRe[p] = re * c + im * sn;
        this.wIm[p] = im * c - re * sn;
      }
    }
  }

  /** The microphone's noise floor over the bins the last frame counted (the sums above count a varying set of bins). */
  get noiseEnergy(): number {
    return this.noise;
  }

  /** What the last frame's prediction left at its best, as read or turned by a few samples (NUDGES): what no reading of the echo near where it is explains. */
  get explainedResidualEnergy(): number {
    let least = this.residual;
    for (let k = 0; k < NUDGES.length; k++) least = Math.min(least, this.nudgedResidual[k]!);
    return least;
  }

  /**
   * The move of the echo (samples later: a short underrun the server never saw) whose prediction
   * leaves the least of the last frame over the bins it counted, whole frames of 10-50 ms plus a
   * part of one (MOVE_PARTS), ranked with each part as a turn of the prediction. Computed when
   * asked, before learn(). Far under explainedResidualEnergy: the echo has moved.
   */
  laterMove(): { samples: number; residual: number } {
    const T = EARLY_TAPS;
    const slot = (this.frames - 1) % RING;
    let best = { samples: 0, residual: Number.POSITIVE_INFINITY };
    const parts = this.moveParts;
    for (let shift = 0; shift <= SHIFTS; shift++) {
      parts.fill(0);
      for (let b = 0; b < BINS; b++) {
        if (this.novelty[b]! > NOVELTY_MAX) continue;
        let sRe = 0, sIm = 0;
        const wb = b * T;
        for (let p = 0; p < T; p++) {
          const r = ((slot - p - shift + 2 * RING) % RING) * BINS + b;
          const xr = this.refRe[r]!, xi = this.refIm[r]!;
          sRe += this.wRe[wb + p]! * xr - this.wIm[wb + p]! * xi;
          sIm += this.wRe[wb + p]! * xi + this.wIm[wb + p]! * xr;
        }
        for (let k = 0; k < MOVE_PARTS.length; k++) {
          const c = PART_COS[k * BINS + b]!, sn = PART_SIN[k * BINS + b]!;
          const eRe = this.micRe[b]! - (sRe * c + sIm * sn), eIm = this.micIm[b]! - (sIm * c - sRe * sn);
          parts[k] += eRe * eRe + eIm * eIm;
        }
      }
      for (let k = 0; k < MOVE_PARTS.length; k++) {
        const samples = shift * HOP + MOVE_PARTS[k]!;
        if (samples >= LEAST_MOVE && parts[k]! < best.residual) best = { samples, residual: parts[k]! };
      }
    }
    return best;
  }

  /** What the last frame's prediction leaves over the bins it counted with the reference read `samples` earlier (the echo that much later): each tap's spectrum taken again there. */
  residualMovedBy(samples: number): number {
    const T = EARLY_TAPS;
    const { movedRe: yRe, movedIm: yIm } = this;
    yRe.fill(0);
    yIm.fill(0);
    for (let p = 0; p < T; p++) {
      this.reference.read(Math.round(this.lastRead - samples - p * HOP) + HOP - FFT_SIZE, this.readBuffer);
      this.spectrumOf(this.readBuffer);
      for (let b = 0; b < BINS; b++) {
        const xr = this.specRe[FIRST_BIN + b]!, xi = this.specIm[FIRST_BIN + b]!;
        const w = b * T + p;
        yRe[b] += this.wRe[w]! * xr - this.wIm[w]! * xi;
        yIm[b] += this.wRe[w]! * xi + this.wIm[w]! * xr;
      }
    }
    let sum = 0;
    for (let b = 0; b < BINS; b++) {
      if (this.novelty[b]! > NOVELTY_MAX) continue;
      const eRe = this.micRe[b]! - yRe[b]!, eIm = this.micIm[b]! - yIm[b]!;
      sum += eRe * eRe + eIm * eIm;
    }
    return sum;
  }

  /**
   * Starts over placed elsewhere: nothing learnt. The next frame, at reference position
   * `refPos`, reads the reference `delaySamples` before it; its taps reach back over the frames
   * before it, read at the new delay, and its analysis window over `micBefore` (the microphone's
   * last FFT_SIZE - HOP samples before it).
   */
  restart(refPos: number, delaySamples: number, micBefore: Int16Array): void {
    if (this.nlms) throw new Error('a witness is not placed anew');
    this.driftBase = 0;
    this.driftEvidence.fill(0);
    this.driftFrames = 0;
    this.wRe.fill(0);
    this.wIm.fill(0);
    this.pRe.fill(0);
    this.pIm.fill(0);
    this.started.fill(0);
    this.reread(refPos, delaySamples);
    this.micWindow.set(micBefore.subarray(micBefore.length - (FFT_SIZE - HOP)), HOP);
  }

  /**
   * The reference was found to be read elsewhere (the echo moved: EarlyEcho): what was learnt is
   * kept, the taps' spectra are taken again for the next frame, at `refPos`, read `delaySamples`
   * before it.
   */
  reread(refPos: number, delaySamples: number): void {
    for (let k = 1; k < RING; k++) {
      this.reference.read(Math.round(refPos - k * HOP - delaySamples) + HOP - FFT_SIZE, this.readBuffer);
      this.spectrumOf(this.readBuffer);
      const slot = ((this.frames - k) % RING + RING) % RING;
      this.refRe.set(this.specRe.subarray(FIRST_BIN, LAST_BIN + 1), slot * BINS);
      this.refIm.set(this.specIm.subarray(FIRST_BIN, LAST_BIN + 1), slot * BINS);
    }
  }

  /**
   * One 10 ms microphone frame, whose own position on the reference is `refPos`; the first tap
   * reads the reference `delaySamples` before it. Predicts only: learn() then learns from it,
   * where no one but the echo is heard (a near-end voice would pull the weights off the room).
   */
  frame(mic: Int16Array, refPos: number, delaySamples: number): void {
    const T = EARLY_TAPS;
    const slot = this.frames % RING;
    this.micWindow.copyWithin(0, HOP);
    this.micWindow.set(mic, FFT_SIZE - HOP);
    // The reference window ending where the frame ends, less the delay.
    this.lastRead = refPos - delaySamples;
    this.reference.read(Math.round(refPos - delaySamples) + HOP - FFT_SIZE, this.readBuffer);
    this.spectrumOf(this.readBuffer);
    this.refRe.set(this.specRe.subarray(FIRST_BIN, LAST_BIN + 1), slot * BINS);
    this.refIm.set(this.specIm.subarray(FIRST_BIN, LAST_BIN + 1), slot * BINS);
    this.spectrumOf(this.micWindow);
    const { wRe, wIm, refRe, refIm, xRe, xIm, pRe, pIm, gRe, gIm } = this;
    let residual = 0, echo = 0, micSum = 0, micAll = 0, noise = 0;
    this.nudgedResidual.fill(0);
    for (let b = 0; b < BINS; b++) {
      let yRe = 0, yIm = 0, power = 0;
      const wb = b * T;
      for (let p = 0; p < T; p++) {
        const r = ((slot - p + RING) % RING) * BINS + b;
        const xr = refRe[r]!, xi = refIm[r]!;
        xRe[wb + p] = xr;
        xIm[wb + p] = xi;
        power += xr * xr + xi * xi;
        yRe += wRe[wb + p]! * xr - wIm[wb + p]! * xi;
        yIm += wRe[wb + p]! * xi + wIm[wb + p]! * xr;
      }
      this.power[b] = power;
      // P x, and x^H P x: how new this frame's reference is to the bin (~ 1 / the frames of
      // such excitation it has learnt from). A bin meets a reference it has not learnt (a new
      // sound): what it predicts there says nothing, and it is left out of the sums below.
      let novelty = Number.POSITIVE_INFINITY;
      // A witness has no inverse correlation left to say how new a sound is: every bin it learnt counts.
      if (this.nlms) novelty = this.started[b] ? 0 : novelty;
      else if (this.started[b]) {
        novelty = 0;
        const pb = b * T * T;
        for (let i = 0; i < T; i++) {
          let sr = 0, si = 0;
          const row = pb + i * T;
          for (let j = 0; j < T; j++) {
            const ar = pRe[row + j]!, ai = pIm[row + j]!;
            sr += ar * xRe[wb + j]! - ai * xIm[wb + j]!;
            si += ar * xIm[wb + j]! + ai * xRe[wb + j]!;
          }
          gRe[wb + i] = sr;
          gIm[wb + i] = si;
          novelty += xRe[wb + i]! * sr + xIm[wb + i]! * si;
        }
      }
      this.novelty[b] = novelty;
      const mRe = this.specRe[FIRST_BIN + b]!, mIm = this.specIm[FIRST_BIN + b]!;
      this.micRe[b] = mRe;
      this.micIm[b] = mIm;
      const micPower = mRe * mRe + mIm * mIm;
      // The floor of the bin's power smoothed over ~10 frames: one bin's power in one frame of
      // noise scatters by tens of dB, and the floor of that fell far under the noise's mean.
      // Not before the window holds whole frames of microphone (its zeros pulled the floor 13 dB
      // under the noise, and it rises 2 dB a second); the smoothing starts from the first value.
      if (this.frames >= WINDOW_FRAMES) {
        const smoothed = (this.micSmoothed[b] = this.frames === WINDOW_FRAMES ? micPower : NOISE_SMOOTHING * this.micSmoothed[b]! + (1 - NOISE_SMOOTHING) * micPower);
        this.noiseFloor[b] = followNoiseFloor(this.noiseFloor[b]!, smoothed);
      }
      const eRe = mRe - yRe, eIm = mIm - yIm;
      this.errRe[b] = eRe;
      this.errIm[b] = eIm;
      micAll += micPower;
      if (novelty > NOVELTY_MAX) continue;
      residual += eRe * eRe + eIm * eIm;
      echo += yRe * yRe + yIm * yIm;
      micSum += micPower;
      if (Number.isFinite(this.noiseFloor[b]!)) noise += this.noiseFloor[b]!;
      for (let k = 0; k < NUDGES.length; k++) {
        // y e^(-i w d): later by d samples.
        const c = NUDGE_COS[k * BINS + b]!, sn = NUDGE_SIN[k * BINS + b]!;
        const nRe = mRe - (yRe * c + yIm * sn), nIm = mIm - (yIm * c - yRe * sn);
        this.nudgedResidual[k] += nRe * nRe + nIm * nIm;
      }
    }
    this.residual = residual;
    this.echo = echo;
    this.mic = micSum;
    this.micAll = micAll;
    this.noise = noise;
    this.frames++;
  }

  /** Learns from the last frame (its a priori errors), in every bin its reference excited. */
  learn(): void {
    for (let b = 0; b < BINS; b++) if (this.power[b]! >= EXCITED) (this.nlms ? this.track(b) : this.update(b));
  }

  /** Whether it learns by NLMS (witness()). */
  get witnessing(): boolean {
    return this.nlms;
  }

  /**
   * From now on learns by NLMS from the weights RLS learnt, and lets the inverse correlations go
   * (0.8 MB, and the most of its CPU: EARLY_TAPS^2 complex terms per bin a frame).
   */
  witness(): void {
    this.nlms = true;
    this.pRe = new Float64Array(0);
    this.pIm = new Float64Array(0);
  }

  /** One NLMS step for bin `b` (a witness): w += mu conj(x) e / |x|^2, in a bin RLS learnt. */
  private track(b: number): void {
    if (!this.started[b]) return;
    const T = EARLY_TAPS;
    const { wRe, wIm, xRe, xIm } = this;
    const wb = b * T;
    const step = TRACK_STEP / this.power[b]!;
    const eRe = this.errRe[b]! * step, eIm = this.errIm[b]! * step;
    for (let p = wb; p < wb + T; p++) {
      const xr = xRe[p]!, xi = xIm[p]!;
      wRe[p] = wRe[p]! + xr * eRe + xi * eIm;
      wIm[p] = wIm[p]! + xr * eIm - xi * eRe;
    }
  }

  /**
   * One RLS step for bin `b`, from the last frame's tap vector, P x and a priori error e. With the
   * echo modelled as w.x (h = conj(w), y = h^H x): g = P x / (lambda + x^H P x), w += conj(g) e,
   * P = (P - g (P x)^H) / lambda.
   */
  private update(b: number): void {
    const T = EARLY_TAPS;
    const { wRe, wIm, pRe, pIm, xRe, xIm, gRe, gIm } = this;
    const pb = b * T * T;
    const wb = b * T;
    if (!this.started[b]) {
      // First excited: P = I / (REGULARIZE x the reference's power per tap), so P x = x times that.
      this.started[b] = 1;
      const initial = 1 / (REGULARIZE * (this.power[b]! / T));
      this.traceCap[b] = initial * T;
      for (let i = 0; i < T; i++) pRe[pb + i * T + i] = initial;
      for (let i = 0; i < T; i++) {
        gRe[wb + i] = xRe[wb + i]! * initial;
        gIm[wb + i] = xIm[wb + i]! * initial;
      }
      this.novelty[b] = this.power[b]! * initial;
    }
    const inverse = 1 / (FORGET + this.novelty[b]!);
    const eRe = this.errRe[b]!, eIm = this.errIm[b]!;
    for (let p = 0; p < T; p++) {
      const kr = gRe[wb + p]! * inverse, ki = -gIm[wb + p]! * inverse;
      wRe[wb + p] = wRe[wb + p]! + kr * eRe - ki * eIm;
      wIm[wb + p] = wIm[wb + p]! + kr * eIm + ki * eRe;
    }
    // P = (P - g (P x)^H) / lambda, its trace kept under where it started: directions a bin's
    // reference never excites would grow by 1/lambda a frame.
    const trace = this.traceAfter(pb, wb, inverse);
    const scale = (trace > this.traceCap[b]! ? this.traceCap[b]! / trace : 1) / FORGET;
    // Hermitian: the upper triangle is computed, the lower mirrored (half the arithmetic).
    for (let i = 0; i < T; i++) {
      const kr = gRe[wb + i]! * inverse, ki = gIm[wb + i]! * inverse;
      const row = pb + i * T;
      for (let j = i; j < T; j++) {
        // (P x)_i conj((P x)_j) / denominator
        const re = (pRe[row + j]! - (kr * gRe[wb + j]! + ki * gIm[wb + j]!)) * scale;
        const im = (pIm[row + j]! - (ki * gRe[wb + j]! - kr * gIm[wb + j]!)) * scale;
        pRe[row + j] = re;
        pIm[row + j] = im;
        pRe[pb + j * T + i] = re;
        pIm[pb + j * T + i] = -im;
      }
    }
  }

  /** The trace of P - g (P x)^H for bin block `pb` (vectors at `wb`). */
  private traceAfter(pb: number, wb: number, inverse: number): number {
    const T = EARLY_TAPS;
    let trace = 0;
    for (let i = 0; i < T; i++) trace += this.pRe[pb + i * T + i]! - (this.gRe[wb + i]! * this.gRe[wb + i]! + this.gIm[wb + i]! * this.gIm[wb + i]!) * inverse;
    return trace;
  }

  private spectrumOf(samples: Int16Array): void {
    for (let i = 0; i < FFT_SIZE; i++) this.input[i] = samples[i]! * WINDOW[i]!;
    this.fft.spectrum(this.input, this.specRe, this.specIm);
  }
}

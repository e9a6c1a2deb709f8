// Energies of 10 ms int16 frames, as the echo path's parts measure them (mean squares, int16 units).

export function meanSquare(frame: Int16Array): number {
  let sum = 0;
  for (let k = 0; k < frame.length; k++) sum += frame[k]! * frame[k]!;
  return sum / frame.length;
}

export function isSilent(frame: Int16Array): boolean {
  for (let k = 0; k < frame.length; k++) if (frame[k] !== 0) return false;
  return true;
}

/** Mean square of the filter's echo estimate: what it took out of the microphone (mic - its linear output). */
export function echoEstimateEnergy(mic: Int16Array, linearOut: Int16Array): number {
  let sum = 0;
  for (let k = 0; k < mic.length; k++) {
    const y = mic[k]! - linearOut[k]!;
    sum += y * y;
  }
  return sum / mic.length;
}

/**
 * What the onset gate judges of an output frame whose energy is `energy`: where the reference is
 * read through a compensated clock drift (`drifting`), only its voice band. There the filter
 * follows an echo whose place moves by a fraction of a sample, which costs cancelling most at high
 * frequencies (0.3 samples off: 18 dB at 1 kHz, 7 at 4, 3 at 6), and a band the assistant's voice
 * seldom fills is relearnt only when a sound fills it: two devices at -300 ppm, small room, a
 * fricative 4.8 s into a second answer was cancelled 0-3 dB over 4-8 kHz (10-20 dB under 4 kHz,
 * 50 dB on one clock), stood 11-24 dB over the residual the leak predicts, and started a turn.
 * Through a 4-sample moving average (0 dB at DC, -0.9 at 1 kHz, -3.7 at 2, -10 at 3, nothing at 4
 * kHz, 11-15 dB down above it) that turn is gone (bench:echo clock rows) and barge-ins over the
 * drifting echo were heard as before: a voice's fundamental and first formant lose under 1 dB.
 */
export function gateEnergy(frame: Int16Array, energy: number, drifting: boolean): number {
  if (!drifting) return energy;
  let sum = 0;
  for (let k = 3; k < frame.length; k++) {
    const y = (frame[k]! + frame[k - 1]! + frame[k - 2]! + frame[k - 3]!) / 4;
    sum += y * y;
  }
  return Math.min(energy, sum / (frame.length - 3));
}

const PRE_EMPHASIS = 0.97;

/**
 * Energies of the microphone, the filter's linear output and its echo estimate after a
 * pre-emphasis (x[n] - 0.97 x[n-1]: +6 dB an octave, a 140 Hz fundamental about 20 dB under a
 * 1.8 kHz formant). A 10 ms frame holds one or two cycles of a fundamental: there a user's voice and the
 * echo correlate by chance (+-0.6), and an aligned filter's output stood 1-2 dB over the
 * microphone at barge-ins' onsets. Tilted, the frame's energy is in formants of many cycles.
 */
export class TiltedEnergies {
  private lastMic = 0;
  private lastOut = 0;
  micEnergy = 0;
  outputEnergy = 0;
  estimateEnergy = 0;

  /** One frame; the sample before it is the last one measured (stale by one sample after frames the filter did not run). */
  measure(mic: Int16Array, out: Int16Array): this {
    let m2 = 0, o2 = 0, y2 = 0;
    let lastMic = this.lastMic, lastOut = this.lastOut;
    for (let k = 0; k < mic.length; k++) {
      const m = mic[k]! - PRE_EMPHASIS * lastMic;
      const o = out[k]! - PRE_EMPHASIS * lastOut;
      lastMic = mic[k]!;
      lastOut = out[k]!;
      m2 += m * m;
      o2 += o * o;
      y2 += (m - o) * (m - o);
    }
    this.lastMic = lastMic;
    this.lastOut = lastOut;
    this.micEnergy = m2 / mic.length;
    this.outputEnergy = o2 / mic.length;
    this.estimateEnergy = y2 / mic.length;
    return this;
  }
}

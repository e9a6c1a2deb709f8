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

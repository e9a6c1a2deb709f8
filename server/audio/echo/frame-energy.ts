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

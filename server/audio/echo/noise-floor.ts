// The microphone's noise floor as the echo models follow it (the canceller broadband, the spectral
// model per band): it falls at once to a quieter frame and creeps up towards a louder one, so
// speech never lifts it far while a noisier room is found within seconds.

/** Per 10 ms frame the floor may rise by this factor (0.5%: ~2 dB a second). */
const RISE = 1.005;
/** The least floor it rises from (energy units, 1: -90 dBFS as int16 mean square): a frame of digital silence (a muted client) would otherwise hold it at 0 for good. */
const LEAST = 1;

/** The floor after a frame of `energy`, from `floor` (start from Infinity). */
export function followNoiseFloor(floor: number, energy: number): number {
  return Math.min(Math.max(floor, LEAST) * RISE, energy);
}

// Whether the envelope model (echo-envelope.ts) still predicts the echo where it comes: its
// prediction is compared, frame by frame, with the same weights read a few blocks earlier and
// later. A short underrun (10-50 ms) moves the echo that much later without any dropout the
// model could see (the room's tail fills the gap): it goes on predicting the echo at its old delay,
// the echo's onsets then stand above its prediction, and both models took them for the user
// (a check script of 10-50 ms underruns 2 and 3 s into a first answer: 7 echo-only turns in 48).
// Where the prediction read at another delay fits the microphone clearly better over the last
// few hundred ms (under half its own error), the models may not start speech until the model has
// relearnt the delay (no other fit under 80% of its own): in that script echo-only turns 7 -> 2,
// barge-ins 300 ms after the underrun missed 6 -> 7, later than 100 ms 17 -> 20 (without the 80%
// hysteresis: turns 3, late 17; a better fit at 70% of the model's error: turns 2, but
// bench:echo's early rows lost a barge-in, far room 2 s into a first answer; 80%: turns 1, missed
// 8, late 22); bench:echo identical with the stall check. About 1000 multiply-adds a frame once
// the model is trained.

/** Blocks either way the prediction is also read at (60 ms). */
export const SHIFT_BLOCKS = 6;
/** A shift this many blocks or more (20 ms) away counts: neighbouring shifts fit nearly as well anyway (the speech envelope's own correlation). */
const LEAST_SHIFT = 2;
/** Frames the fit is averaged over (an exponential average's time constant, 200 ms). */
const AVERAGE_FRAMES = 20;
/** Another shift whose mean squared error (dB) is under this share of the model's own is the better fit. */
const BETTER_SHARE = 0.5;
/** Once it was, the echo counts as moved until no other shift's error is under this share of the model's own (hysteresis). */
const AGAIN_SHARE = 0.8;
/** The model's own error must be at least this (mean squared dB: 4 dB rms) for another shift to be better. */
const LEAST_ERROR = 16;
/** Amplitude (int16 units) added to the microphone's and the predictions' before comparing: quiet frames (under about -60 dBFS) say little. */
const FLOOR_AMPLITUDE = 32;

export class EchoShift {
  private readonly error = new Float64Array(2 * SHIFT_BLOCKS + 1);
  private framesSeen = 0;
  private moved = false;

  /**
   * One frame: the model's `weights` (taps 0..n-1), the reference amplitudes `amps` for k =
   * -SHIFT_BLOCKS .. n - 1 + SHIFT_BLOCKS (index k + SHIFT_BLOCKS), and the microphone's amplitude.
   */
  frame(weights: Float64Array, amps: Float64Array, micAmplitude: number): void {
    const a = 1 / AVERAGE_FRAMES;
    const mic = micAmplitude + FLOOR_AMPLITUDE;
    for (let s = -SHIFT_BLOCKS; s <= SHIFT_BLOCKS; s++) {
      let predicted = 0;
      for (let k = 0; k < weights.length; k++) predicted += weights[k]! * amps[k + s + SHIFT_BLOCKS]!;
      const db = 20 * Math.log10(mic / (predicted + FLOOR_AMPLITUDE));
      const i = s + SHIFT_BLOCKS;
      this.error[i] = this.error[i]! + a * (db * db - this.error[i]!);
    }
    this.framesSeen++;
    this.judge();
  }

  /** Forgets the fit (the model starts over). */
  reset(): void {
    this.error.fill(0);
    this.framesSeen = 0;
    this.moved = false;
  }

  /** Whether the prediction at the model's own delay fits at least about as well as any other (true until enough frames were seen). */
  get aligned(): boolean {
    return !this.moved;
  }

  /** Whether another shift fits clearly better (BETTER_SHARE), and, once one did, still better (AGAIN_SHARE). */
  private judge(): void {
    if (this.framesSeen < AVERAGE_FRAMES) {
      this.moved = false;
      return;
    }
    const own = this.error[SHIFT_BLOCKS]!;
    let best = Number.POSITIVE_INFINITY;
    for (let s = LEAST_SHIFT; s <= SHIFT_BLOCKS; s++) best = Math.min(best, this.error[SHIFT_BLOCKS + s]!, this.error[SHIFT_BLOCKS - s]!);
    if (!this.moved) this.moved = own >= LEAST_ERROR && best < own * BETTER_SHARE;
    else this.moved = best < own * AGAIN_SHARE;
  }
}

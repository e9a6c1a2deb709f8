// An upper bound on how loud the echo path can be, from the microphone alone, with no delay
// estimate and no converged filter: the quiet microphone of a headset client, or of a
// loudspeaker that is turned down, shows within about a second that the echo is faint.
//
// If the echo arrives `d` blocks after the reference with energy gain g, then at every frame t,
// mic(t) >= g * ref(t - d). Over a window of frames, the frame where ref(t - d) is largest gives
// g <= maxMic / max_t ref(t - d). The delay is unknown, so the bound takes the worst delay in
// range: g <= maxMic / min_d max_t ref(t - d). It is only valid when the reference was loud at
// every delay (min_d max_t ref(t - d) well above silence), so it waits for enough speech.
// User speech in a window only loosens that window's bound, never makes it wrong, so every
// window's bound holds and the tightest of the last few seconds' is kept (a louder loudspeaker
// shows within those few seconds).
import type { EchoReference } from './reference.js';

/** Frames (10 ms) the bound looks back over. */
const WINDOW_FRAMES = 70;
/** The bound is recomputed every this many frames. */
const EVERY_FRAMES = 10;
/** Reference energy (mean square, int16 units) that counts as speech at every delay (~ -50 dBFS). */
const LOUD_REFERENCE = 1000;
/** Window bounds kept: the tightest of the last 5 s is the bound. */
const KEPT = 50;
/**
 * Added to the bound: reverberation spreads the echo over blocks the direct path does not count
 * (on the simulated rooms the echo came within 1.7 dB of the bound without it).
 */
const SAFETY_DB = 6;

export class EchoPathBound {
  private readonly micEnergy = new Float64Array(WINDOW_FRAMES);
  private readonly refBlock = new Float64Array(WINDOW_FRAMES);
  private frames = 0;
  private updates = 0;
  private readonly bounds = new Float64Array(KEPT).fill(Number.POSITIVE_INFINITY);

  constructor(
    private readonly reference: EchoReference,
    private readonly maxDelayBlocks: number,
  ) {}

  /** The latest valid bound on the echo path's energy gain (mic over reference), dB; null before one. */
  get boundDb(): number | null {
    let tightest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < KEPT; i++) tightest = Math.min(tightest, this.bounds[i]!);
    return Number.isFinite(tightest) ? tightest : null;
  }

  /** One 10 ms microphone frame, heard while reference block `block` was playing (undelayed). */
  push(micEnergy: number, block: number): void {
    const i = this.frames % WINDOW_FRAMES;
    this.micEnergy[i] = micEnergy;
    this.refBlock[i] = block;
    this.frames++;
    if (this.frames >= WINDOW_FRAMES && this.frames % EVERY_FRAMES === 0) this.update();
  }

  private update(): void {
    let maxMic = 0;
    for (let i = 0; i < WINDOW_FRAMES; i++) maxMic = Math.max(maxMic, this.micEnergy[i]!);
    let floor = Number.POSITIVE_INFINITY;
    for (let d = 0; d <= this.maxDelayBlocks && floor >= LOUD_REFERENCE; d++) {
      let loudest = 0;
      for (let i = 0; i < WINDOW_FRAMES; i++) loudest = Math.max(loudest, this.reference.blockEnergy(this.refBlock[i]! - d));
      floor = Math.min(floor, loudest);
    }
    this.bounds[this.updates++ % KEPT] = floor < LOUD_REFERENCE ? Number.POSITIVE_INFINITY : 10 * Math.log10((maxMic + 1) / floor) + SAFETY_DB;
  }
}

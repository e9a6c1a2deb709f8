// Frames the VAD model need not see: the microphone's own noise between turns. Silero was a
// quarter of a conversational server's busy time (bench:conversation profile at 60 sessions), and
// most of what a microphone sends is the room between someone's words. A frame no louder than the
// room's quietest frames of the last second, while the model has just called the stream silent
// and no speech is forming, is silence whatever the model would say; it is skipped and counted as
// the model's last word; one in four still goes to the model, whose recurrent state must keep
// hearing the room. Anything louder (a word starting, the assistant's echo, a door) goes to the
// model as before.
//
// The floor is the quietest 8 ms of the last ~1 s (four blocks of 8 frames): it falls at once to
// a quieter room and rises within a second to a louder one, so a noise that starts and stays (a
// fan) is learnt, and speech never is (its gaps set the floor while it lasts). A frame is quiet
// when each of its four 8 ms quarters is: a word that starts in a frame's last quarter raises
// that quarter well above the room while the whole frame rises by little (judged by the whole
// frame, the first speech frame was skipped often enough to put the tentative pause's p95 20 ms
// later in bench:duplex).

/** A frame within this of the floor is the room (dB). Stationary noise varies less than this frame to frame. */
const NEAR_FLOOR_DB = 3;
/** Quarters of a frame judged apart (8 ms each). */
const PARTS = 4;
/** Frames per block of the floor's running minimum, and blocks kept (32 frames of 32 ms: about a second). */
const BLOCK_FRAMES = 8;
const BLOCKS = 4;
/** The model's last probability must be under this (well under the off threshold): nothing is fading out. */
const SILENT_PROBABILITY = 0.1;
/**
 * Of each run of quiet frames the model still sees one in this many + 1: its recurrent state must
 * keep hearing the room. Skipping all of it, a short word after a long quiet was missed (14 of the
 * 220 real clips over -60 dBFS noise, 0 with this).
 */
const SKIPPED_PER_HEARD = 3;
/** Digital near-silence (mean square under -90 dBFS) is never speech, whatever the floor. */
const DIGITAL_SILENCE = 1e-9;

const NEAR_FLOOR = 10 ** (NEAR_FLOOR_DB / 10);

export class QuietFrames {
  /** Minimum mean square of an 8 ms quarter in each block (the current one last). */
  private readonly blockMin = new Float64Array(BLOCKS).fill(Infinity);
  private block = 0;
  private inBlock = 0;
  /** Blocks filled so far: no frame is skipped before the floor has seen a whole second. */
  private filled = 0;
  private lastProbability = 1;
  private skippedFrames = 0;
  /** Quiet frames skipped since the model last saw one. */
  private skippedRun = 0;

  /** Frames skipped so far. */
  get skipped(): number {
    return this.skippedFrames;
  }

  /** What a skipped frame counts as: the model's last probability. */
  get probability(): number {
    return this.lastProbability;
  }

  /** The model's probability for a frame it saw. */
  heard(probability: number): void {
    this.lastProbability = probability;
    this.skippedRun = 0;
  }

  /**
   * Takes the frame's level into the floor; true if the model may skip it. `idle`: no speech is
   * forming or going on (the caller's detector), so a skipped frame cannot end or split a turn.
   */
  skip(frame: Float32Array, idle: boolean): boolean {
    const part = frame.length / PARTS;
    let loudest = 0;
    let quietest = Infinity;
    for (let p = 0; p < PARTS; p++) {
      let energy = 0;
      for (let i = p * part; i < (p + 1) * part; i++) energy += frame[i]! * frame[i]!;
      energy /= part;
      if (energy > loudest) loudest = energy;
      if (energy < quietest) quietest = energy;
    }
    const floor = this.floor();
    this.add(quietest);
    const quiet = loudest < DIGITAL_SILENCE || (this.filled >= BLOCKS && loudest <= floor * NEAR_FLOOR);
    if (!idle || !quiet || this.lastProbability >= SILENT_PROBABILITY || this.skippedRun >= SKIPPED_PER_HEARD) return false;
    this.skippedRun++;
    this.skippedFrames++;
    return true;
  }

  private floor(): number {
    let min = Infinity;
    for (let i = 0; i < BLOCKS; i++) if (this.blockMin[i]! < min) min = this.blockMin[i]!;
    return min;
  }

  private add(energy: number): void {
    if (energy < this.blockMin[this.block]!) this.blockMin[this.block] = energy;
    if (++this.inBlock < BLOCK_FRAMES) return;
    this.inBlock = 0;
    this.block = (this.block + 1) % BLOCKS;
    this.blockMin[this.block] = Infinity;
    if (this.filled < BLOCKS) this.filled++;
  }
}

// The leak: how much of the reference's energy is left in the canceller's output while only the
// assistant's echo is there (its residual echo), in dB, tracked as a high percentile of
// output/reference. The onset gate expects that much residual under each frame's loudest
// reference (`residual`) and lets speech start only clear of it.
//
// It starts high (+10 dB), so the first echo of a session is held back while the filter
// converges, and comes down as the output shows it can. It is learnt only from frames within the
// onset margin, so the user's speech over the echo barely raises it, yet a diverged filter is
// learnt in seconds. When the filter starts over (moved, or relearning after a delay jump) it goes
// back up to the room's uncancelled echo (`forget`); the path bound, the loudest echo the room
// returns at all, caps it (`capAt`).

/** Steps per 10 ms frame: up on a frame above the estimate but within the margin, down on one below, a creep up on one past the margin (most likely the user). */
const UP_DB = 0.3;
const DOWN_DB = 0.03;
const CREEP_DB = 0.05;
/** A frame this far (10 dB) below the estimate (the start, or the filter converging) brings it down FAST_DOWN_DB. */
const FAR_DB = 10;
const FAST_DOWN_DB = 0.3;
/** Where a session starts, and where forgetting goes without a path bound, dB. */
const UNKNOWN_DB = 10;
/** The assistant speaking again after a pause raises it this much (see restart). */
const RESTART_DB = 8;
const FLOOR_DB = -80;

/** How fast it moves, dB per frame (the canceller's by default; the early filter's, which converges in a few hundred ms, faster). */
export interface LeakSteps {
  upDb: number;
  downDb: number;
  fastDownDb: number;
}

export class EchoLeak {
  private leakDb = UNKNOWN_DB;
  private readonly steps: LeakSteps;

  constructor(steps: LeakSteps = { upDb: UP_DB, downDb: DOWN_DB, fastDownDb: FAST_DOWN_DB }) {
    this.steps = steps;
  }

  /** Output over reference while only echo is there, dB. */
  get db(): number {
    return this.leakDb;
  }

  /** The residual echo energy to expect under a reference peak. */
  residual(refPeak: number): number {
    return refPeak * 10 ** (this.leakDb / 10);
  }

  /**
   * A frame of echo whose reference surely echoed in it (output and reference peak energies):
   * a high percentile (~90th: steps of 10:1) of their ratio. A frame past `marginDb` over the
   * estimate (the onset margin: most likely the user) only creeps it up, as does any frame the
   * caller knows holds a near-end voice (`nearEnd`).
   */
  learn(outEnergy: number, refPeak: number, marginDb: number, nearEnd = false): void {
    const ratioDb = 10 * Math.log10((outEnergy + 1) / refPeak);
    const { upDb, downDb, fastDownDb } = this.steps;
    if (ratioDb <= this.leakDb) this.leakDb = Math.max(ratioDb, this.leakDb - (ratioDb < this.leakDb - FAR_DB ? fastDownDb : downDb));
    else this.leakDb = Math.min(ratioDb, this.leakDb + (!nearEnd && ratioDb <= this.leakDb + marginDb ? upDb : CREEP_DB));
    this.leakDb = Math.max(this.leakDb, FLOOR_DB);
  }

  /**
   * The assistant speaks again after a pause (a resumed or a new answer): the filter may have
   * drifted while the user spoke over the echo, so the estimate starts higher and comes back down
   * as the echo shows it can.
   */
  restart(): void {
    this.leakDb += RESTART_DB;
  }

  /** The filter starts over: back up to the echo the room returns uncancelled (the path bound, dB; +10 dB before it is known). */
  forget(boundDb: number | null): void {
    this.leakDb = Math.max(this.leakDb, boundDb ?? UNKNOWN_DB);
  }

  /** The residual cannot be louder than the echo the microphone shows at all (the path bound, dB). */
  capAt(boundDb: number): void {
    if (this.leakDb > boundDb) this.leakDb = boundDb;
  }

  /** Back to an estimate kept from before (the filter found aligned again as it was). */
  restore(db: number): void {
    this.leakDb = db;
  }
}

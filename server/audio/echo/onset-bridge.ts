// Speech candidates over loud echo: a word the user starts clearly above the echo may sink into
// it before the VAD's minimum speech confirms it ("Wait," then "stop" at the echo's level).
// The onset gate judges each VAD frame (32 ms) alone, so one frame it cannot tell from the
// echo used to end the candidate: with the echo as loud as the user (0 dB), barge-ins in the
// first seconds of an answer were lost that way after 190 ms of clearly heard speech.
//
// The bridge lets a candidate that the gate has already let through for BRIDGE_AFTER_FRAMES
// frames (128 ms of the user standing out of the echo) carry on through at most BRIDGE_FRAMES
// frames (96 ms in all) the gate holds back, while the VAD still hears speech in them. So a
// candidate confirmed at the minimum speech (250 ms: 8 frames) has at least 5 frames the gate
// let through, of which the first 4 in a row: echo alone rarely gives that (bench:echo counts
// the self-interruptions with and without it).

/** Frames the gate must let through, from the candidate's start, before any may be bridged. */
const BRIDGE_AFTER_FRAMES = 4;
/** Frames the gate held back that one candidate may carry on through. */
const BRIDGE_FRAMES = 3;

export class OnsetBridge {
  private passedInRow = 0;
  private bridged = 0;
  private earned = false;

  /** A new candidate (or none): nothing earned yet. */
  reset(): void {
    this.passedInRow = 0;
    this.bridged = 0;
    this.earned = false;
  }

  /** The gate let this candidate frame through. */
  passed(): void {
    this.passedInRow++;
    if (this.passedInRow >= BRIDGE_AFTER_FRAMES) this.earned = true;
  }

  /** The gate held back a frame of the candidate the VAD still hears as speech: whether it may carry on through it. */
  bridge(): boolean {
    this.passedInRow = 0;
    if (!this.earned || this.bridged >= BRIDGE_FRAMES) return false;
    this.bridged++;
    return true;
  }
}

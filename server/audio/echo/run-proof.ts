// Whether the filter has yet to show it cancels a new answer's run as deeply as its leak says
// (the gate does not vouch for it until then: canceller.ts). A new answer is placed by the
// server's model of the client: through the real socket every second answer traced (16 of 16)
// came 1-15 ms off. While the run is searched for (stall-watch.ts) the filter cancelled 0-5 dB
// of it for 100-150 ms, and found a sample or two off (or at a reading the search left as
// placed) 0-20 dB for a few hundred ms more as it relearnt. A few dB under the microphone is
// what FilterTrust reads as aligned (double talk), the leak was the first answer's (-30 dB), and
// the echo passed the gate as the user: 2 in 42 second answers began with a turn of their own echo.
//
// One such frame was the proof at first. Through the socket (2026-12-07, small room, 0 dB) 2 of 5
// second answers traced were taken as proven on a single frame the residual echo suppressor had
// crushed (the linear output over the microphone; the next five 16-22 dB over the residual): the
// gate passed 8 and 11 VAD frames of the echo, and one started a turn. The frames the microphone
// alone would pass must now come out within the margin PROOF_IN_A_ROW times in a row. Replayed on
// those five traces: proven 7 frames after the filter was trusted where the run was found (3), 22
// frames after the reading moved where it was found late (the run that started a turn), and 40
// frames after the trust where it never was (the filter had relearnt the run).
//
// Since then the filter is held while the run is searched for and hears it where found
// (filter-trust.ts heldForRun): a run found surely (FineAlign.surely: a window its reading explains
// 0.8 of, or a third over the user's voice) is proven as the search ends. Waiting for the 8 frames,
// a user who spoke 100-200 ms after the echo arrived was heard a second late: every loud frame
// was the user's, over the residual (bench:echo answer-starts, 200 ms: 31 of 32 missed or later
// than 100 ms; then 7). The frames held meanwhile are judged too, once heard again where the run
// was found surely (deferred-frames.ts).

/** How long after the run is found (or given up on) the proof is waited for at most (1 s). */
const PROOF_FRAMES = 100;
/** Frames the microphone alone would pass that must come out within the continue margin in a row (80 ms of loud echo). */
const PROOF_IN_A_ROW = 8;

export class RunProof {
  /** Frames since the run's search ended without the proof; -1: none pending. */
  private frames = -1;
  /** Loud frames in a row cancelled within the continue margin. */
  private inARow = 0;

  /** The gate's margins (power ratios) for speech to start, and to go on. */
  constructor(
    private readonly onsetMargin: number,
    private readonly continueMargin: number,
  ) {}

  /**
   * One frame: `placing` while the run is searched for; energies as the gate sees them (`residual`:
   * what the leak expects). Unproven while the run is searched for, then until PROOF_IN_A_ROW
   * frames the microphone alone would pass (over the residual by the onset margin) come out within
   * the continue margin of it, one after another (one just under the onset bar proved nothing: the
   * next frames stood over it; one such frame over the margin starts the count again), for at most
   * PROOF_FRAMES; proven at once where the search ended finding the run surely (`placedSurely`,
   * read on the first frame after it: StallWatch.runPlacedSurely).
   */
  unproven(placing: boolean, placedSurely: boolean, active: boolean, micEnergy: number, outEnergy: number, residual: number): boolean {
    if (placing) {
      this.frames = 0;
      this.inARow = 0;
      return true;
    }
    // The search just over found the run surely (see above): the filter, held meanwhile, heard it there.
    if (this.frames === 0 && placedSurely) this.frames = -1;
    if (this.frames < 0) return false;
    if (active && micEnergy > residual * this.onsetMargin) this.inARow = outEnergy <= residual * this.continueMargin ? this.inARow + 1 : 0;
    if (++this.frames > PROOF_FRAMES || this.inARow >= PROOF_IN_A_ROW) this.frames = -1;
    return this.frames >= 0;
  }
}

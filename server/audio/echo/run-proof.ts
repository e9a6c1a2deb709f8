// Whether the filter has yet to show it cancels a new answer's run as deeply as its leak says
// (the gate does not vouch for it until then: canceller.ts). A new answer is placed by the
// server's model of the client: through the real socket every second answer traced (16 of 16)
// came 1-15 ms off. While the run is searched for (stall-watch.ts) the filter cancelled 0-5 dB
// of it for 100-150 ms, and found a sample or two off (or at a reading the search left as
// placed) 0-20 dB for a few hundred ms more as it relearnt. A few dB under the microphone is
// what FilterTrust reads as aligned (double talk), the leak was the first answer's (-30 dB), and
// the echo passed the gate as the user: 2 in 42 second answers began with a turn of their own echo.

/** How long after the run is found (or given up on) the proof is waited for at most (1 s). */
const PROOF_FRAMES = 100;

export class RunProof {
  /** Frames since the run's search ended without the proof; -1: none pending. */
  private frames = -1;

  /** The gate's margins (power ratios) for speech to start, and to go on. */
  constructor(
    private readonly onsetMargin: number,
    private readonly continueMargin: number,
  ) {}

  /**
   * One frame: `placing` while the run is searched for; energies as the gate sees them (`residual`:
   * what the leak expects). Unproven while the run is searched for, then until a frame the
   * microphone alone would pass (over the residual by the onset margin) comes out within the
   * continue margin of it (one just under the onset bar proved nothing: the next frames stood over
   * it), for at most PROOF_FRAMES.
   */
  unproven(placing: boolean, active: boolean, micEnergy: number, outEnergy: number, residual: number): boolean {
    if (placing) {
      this.frames = 0;
      return true;
    }
    if (this.frames < 0) return false;
    const cancelled = active && micEnergy > residual * this.onsetMargin && outEnergy <= residual * this.continueMargin;
    if (++this.frames > PROOF_FRAMES || cancelled) this.frames = -1;
    return this.frames >= 0;
  }
}

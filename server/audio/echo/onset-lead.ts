// A word the user begins quietly under the echo: its first VAD frames stand over the residual echo
// by the gate's margin for speech to go on, not yet by the one to start (onset-gate.ts), and speech
// starts at the first frame that clears the latter. The candidate then lacked its first 30-60 ms,
// and a short first word ("Wait," 260 ms) fell short of the VAD's minimum speech (250 ms) though
// the VAD heard all of it (bench:echo answer-starts, the near room at 0 dB, the user starting 100-200
// ms after a new answer's echo arrived: the residual estimate 5-9 dB over the filter's actual
// residual, raised 6 dB more at the echo's onset: 10 of 16 missed or heard 576-992 ms late).
//
// The frames right before the start that the VAD heard as speech and that stand 9 dB over the
// residual (OnsetGate.mayLead: between the margins to go on and to start; at the margin to go on,
// the echo of a filter misaligned by an underrun led frames it passed into a turn) lead it: the
// candidate starts at the first of them, at most LEAD_FRAMES back. The onset bar still has to be
// cleared once, in the frame the candidate starts at; echo alone must clear it to lead anything.

/** VAD frames (32 ms each) a candidate may start before the frame that cleared the onset bar. */
export const LEAD_FRAMES = 2;

export class OnsetLead {
  /** First sample of the run of leading frames, and the sample after its last: the run leads only the frame starting there. */
  private runStart = -1;
  private runEnd = -1;

  /** A VAD frame of `frameSamples` at `frameStart`: speech the gate held back from starting that may lead a candidate (`leads`: OnsetGate.mayLead), or not. */
  heard(frameStart: number, frameSamples: number, leads: boolean): void {
    if (!leads) this.runStart = -1;
    else if (this.runStart < 0 || this.runEnd !== frameStart) this.runStart = frameStart;
    else this.runStart = Math.max(this.runStart, frameStart - (LEAD_FRAMES - 1) * frameSamples);
    this.runEnd = frameStart + frameSamples;
  }

  /** Where a candidate starting at `frameStart` begins: the first frame of a run that led right up to it, or the frame itself. */
  startFor(frameStart: number): number {
    return this.runStart >= 0 && this.runEnd === frameStart ? this.runStart : frameStart;
  }

  reset(): void {
    this.runStart = -1;
  }
}

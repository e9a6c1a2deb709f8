// The echo's onsets, where SpeexDSP's broadband output says less than its leak does (canceller.ts).
// At a sound 20-25 dB louder than the reference before it, a trusted filter cancelling the echo
// 25-40 dB left 10-15 dB more for 50-100 ms: its taps ahead of the echo's path (a filter that
// spans the room's delay starts at 0: 50-90 ms of such taps in the near and small rooms, each
// 23-34 dB under the main one) and its low band, which SpeexDSP adapts least, read the new sound
// before its echo arrives. Pre-emphasised, the same frames were cancelled 14-26 dB; broadband the
// output stood 12-15 dB over the residual the leak expects, just past the gate's 12 dB margin, and
// Silero heard voice in it: a tentative onset (voice_onset: the answer pauses, then resumes) from
// the echo alone. bench:echo's pauses (48 answers): 12 -> 6 with this rule; 5 of those left are
// in the first 2 s (a young filter, and the far room's young spectral model).
//
// The filter's own echo estimate (what it takes out of the microphone) shows such a sound as it
// reads it: a frame whose estimate stands RISE over its least in the 100 ms before is an onset's.
// Where the frame's pre-emphasised output also stands DEEP under its microphone (the filter
// aligned, and any user 10 dB under the echo), speech must stand ONSET_EXCESS more over the
// residual to start (going on, not). Not elsewhere: the user speaking as the echo comes back
// after a pause in the answer, over a filter still misaligned by an underrun (pre-emphasised,
// cancelling -6 to +2 dB), was held 100-600 ms longer, and one of bench:echo's short-underrun
// barge-ins was missed. The cost left: a user whose first frame is faint under the echo starts
// a VAD frame later (32 ms) in 23 of bench:echo's barge-in cells, none past 100 ms.
//
// Before the echo's delay is found (a filter under 2 s old, spanning the room from 0), a new loud
// sound met a filter that had learnt only the sounds before it: the small room 1.9 s in cancelled
// one 20 dB louder 2-8 dB pre-emphasised where its leak said 29, and paused the answer. There an
// onset's frame asks only that the filter not add energy pre-emphasised (YOUNG): no underrun has
// misaligned a filter that young (those are searched for once the delay is locked), and
// bench:echo's barge-in cells were identical with it.

/** Frames the estimate's least is taken over (100 ms). */
const WINDOW_FRAMES = 10;
/** A rise this much (6 dB) over that least marks an onset's frame. */
const RISE = 10 ** (6 / 10);
/** Estimates under this energy (int16 units: one LSB) rise from nothing: a rise is measured from here at least. */
const FLOOR = 1;
/** The pre-emphasised output this far (10 dB) under the pre-emphasised microphone: the filter cancels the frame, which is echo. */
const DEEP = 10 ** (10 / 10);
/** Before the delay is found: the pre-emphasised output no louder than the microphone (the filter adds nothing). */
const YOUNG = 1;
/** The residual to expect for speech to start in an onset's frames, over the leak's (6 dB). */
export const ONSET_EXCESS = 10 ** (6 / 10);

/** A frame's pre-emphasised energies (TiltedEnergies, frame-energy.ts). */
export interface TiltedFrame {
  micEnergy: number;
  outputEnergy: number;
}

export class EstimateRise {
  private readonly recent = new Float64Array(WINDOW_FRAMES);
  private frames = 0;
  private onset = false;
  private rose = false;

  /** One frame the filter ran: its echo estimate's energy (mean square, int16 units) and its pre-emphasised energies; `young`: the echo's delay not found yet. Whether speech must stand ONSET_EXCESS more to start in it. */
  push(estimateEnergy: number, tilted: TiltedFrame, young = false): boolean {
    let least = Number.POSITIVE_INFINITY;
    for (let k = 0; k < Math.min(this.frames, WINDOW_FRAMES); k++) least = Math.min(least, this.recent[k]!);
    this.recent[this.frames++ % WINDOW_FRAMES] = estimateEnergy;
    this.rose = estimateEnergy > least * RISE + FLOOR;
    this.onset = this.rose && tilted.outputEnergy * (young ? YOUNG : DEEP) <= tilted.micEnergy;
    return this.onset;
  }

  /** Whether the estimate in the frame just pushed stood RISE over its least in the 100 ms before (a new sound read), however the frame was cancelled. */
  get rising(): boolean {
    return this.rose;
  }

  /** The residual's scale for speech to start in the frame just pushed (ONSET_EXCESS in an onset's); 1 where the filter did not run (`ran` false). */
  excess(ran: boolean): number {
    return ran && this.onset ? ONSET_EXCESS : 1;
  }
}

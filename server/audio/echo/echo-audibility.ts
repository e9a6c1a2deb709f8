// Whether the microphone can hear the assistant at all. A headset, a browser that cancels echo
// but left the server's canceller on, or a loudspeaker turned down: the adaptive filter then
// learns nothing and outputs the microphone, at a conversational session's largest cost
// (bench:conversation's profile: SpeexDSP alone a quarter of the server's CPU).
//
// EchoPathBound gives the loudest echo the room can return under any reference (the microphone
// alone, a safety margin included); under the loudest reference the session has sent, that is
// the loudest echo there can be. While it stays within NOISE_MARGIN_DB of the microphone's own
// noise floor, or below what the turn detector can hear at all, there is nothing worth
// cancelling: a headset's bound is its noise (the loudest noise frame while the reference is
// loud, plus the margin), about 8 dB over the floor. The gate stays safe either way, since an
// onset must stand above that bound (the leak is capped by it).

/** Echo energy (mean square, int16 units) the turn detector cannot hear: -60 dBFS (Silero first crosses its threshold on speech at about -59). */
const INAUDIBLE_ECHO = 1074;
/**
 * The loudest possible echo within this of the noise floor is no echo path. A headset's bound is
 * its loudest noise frame (a few dB over the floor) plus EchoPathBound's 6 dB of safety, over
 * windows whose reference may peak a few dB under the session's loudest: in bench:conversation
 * (headsets, noise at -65 dBFS) half of their frames with a known bound came within 2 dB of a
 * 10 dB margin and counted as an echo path, so SpeexDSP ran on 6% of all frames (40% of the
 * canceller's time). An echo under the line still cannot start speech: the gate holds onsets
 * within the residual bounded by the path bound, whether the filter runs or not.
 */
const NOISE_MARGIN_DB = 16;
/**
 * The noise floor is the quietest slot's low percentile over the last SLOTS x SLOT_FRAMES frames
 * (2 s): the QUIET_RANK-th quietest 10 ms frame of each 200 ms slot. Not the single quietest frame:
 * a client that sends digital silence now and then (a muted track, a clip faded in from zero) would
 * make the floor 20-30 dB lower than the microphone's noise for 2 s, and every echo audible. In
 * bench:conversation (spoken clips faded in from zero) the filter ran on 16% of all frames with the
 * quietest frame as the floor, 11% with this one.
 */
const SLOT_FRAMES = 20;
const SLOTS = 10;
/** Up to QUIET_RANK - 1 odd frames per slot do not count. */
const QUIET_RANK = 4;

export class EchoAudibility {
  private readonly slotFloors = new Float64Array(SLOTS).fill(Number.POSITIVE_INFINITY);
  private readonly slotEnergies = new Float64Array(SLOT_FRAMES);
  private frames = 0;
  private loudestReference = 0;
  private audibleFlag = true;

  /** Whether an audible echo path may exist (true until the bound is first known). */
  get audible(): boolean {
    return this.audibleFlag;
  }

  /**
   * One 10 ms frame: the microphone's energy, the loudest reference that can echo in it (0 when
   * none), and the path bound (dB; null while unknown). Returns `audible`.
   */
  frame(micEnergy: number, refPeak: number, boundDb: number | null): boolean {
    const inSlot = this.frames % SLOT_FRAMES;
    this.slotEnergies[inSlot] = micEnergy;
    this.frames++;
    if (inSlot === SLOT_FRAMES - 1) {
      // Once per slot: a sort of 20 numbers.
      this.slotFloors[Math.floor((this.frames - 1) / SLOT_FRAMES) % SLOTS] = this.slotEnergies.sort()[QUIET_RANK - 1]!;
    }
    if (refPeak > this.loudestReference) this.loudestReference = refPeak;
    // The bound is unknown again after 5 s without the assistant's speech: the verdict stands
    // until it is known (a headset stays a headset between answers; a path that became audible
    // shows as soon as the bound is known again, about 1.3 s into the next answer). Nor is it
    // judged while no reference can echo: the bound then only rises, as its tight windows age
    // out and those where the user spoke over an answer's last words are what is left. After
    // a barge-in a headset counted as an echo path for the first 0.7 s of the next answer
    // (SpeexDSP on 2.5% of a conversational session's frames, three quarters of its runs).
    if (boundDb === null || refPeak === 0) return this.audibleFlag;
    let floor = Number.POSITIVE_INFINITY;
    for (let k = 0; k < SLOTS; k++) if (this.slotFloors[k]! < floor) floor = this.slotFloors[k]!;
    if (floor === Number.POSITIVE_INFINITY) return this.audibleFlag; // no whole slot heard yet
    const loudestEcho = this.loudestReference * 10 ** (boundDb / 10);
    this.audibleFlag = loudestEcho >= Math.max(INAUDIBLE_ECHO, floor * 10 ** (NOISE_MARGIN_DB / 10));
    return this.audibleFlag;
  }
}

// Did the client really run dry? When the server sends nothing for longer than the audio it
// modelled the client as holding (a slow synthesizer, a busy event loop), the reference places
// silence there (reference.ts): the client ran dry and plays the rest later. A client that
// buffers more than the server models (a jitter buffer, a player's scheduling margin) plays on
// instead, and its echo then comes that silence earlier than the reference says for the rest of
// the answer: the filter, reading silence or the wrong words, passes it whole, and it started
// turns (17 of 64 stalls of 200-300 ms the client never had, four rooms, 0 and +6 dB).
//
// The converged filter is the judge (shadow-echo.ts): on loud microphone frames after the silence
// begins, the share of the frame its impulse response explains from the reference as placed,
// and from the reference read past the silence. Echo is explained closely by one reading and not
// at all by the other (a frame's shift is enough: 0.91-0.99 against 0.00-0.03 on the simulated
// rooms); the user's voice by neither. Two frames in a row for one reading decide. Played on,
// the reference is read past the silence from then on (ReferenceClock.skipStall); the filter
// still holds what it read as placed until that has passed its main tap, so for those frames the
// onset gate takes its word for nothing (onTrial).

/** The microphone this far over its noise floor (10 dB) is loud enough for its waveform to say something. */
const LOUD_OVER_FLOOR = 10;
/** A reading explains a frame when it accounts for this share of its energy, and this much more than the other reading. */
const EXPLAINS = 0.5;
const EXPLAINS_BETTER_BY = 0.3;
/** Frames in a row one reading must explain. */
const DECIDE_AFTER = 2;
/** Frames judged per silence at most (each costs a convolution of the filter's response, ~0.5 ms). */
const MOST_JUDGED = 60;
/** A frame neither reading explains this share of is new sound: the echo come back early (a part played through: stall-watch.ts) or the user. */
const UNEXPLAINED_BELOW = 0.1;
/** The echo's frames after the silence began within which the client may be found to have played on (2 s). */
const WATCH_BLOCKS = 200;
/** Silence up to this long (500 ms) may be a stall the client played through; longer, it surely ran dry. */
export const STALL_CHECK_MAX_MS = 500;
/** Frames added to the settling after a skip (see settleFrames). */
const SETTLE_SLACK = 3;

/** The silence the reference placed before a run (EchoReference.latestRunGap). */
export interface PlacedSilence {
  start: number;
  samples: number;
  lastSoundBefore: number;
  afterCut: boolean;
}

/** What the canceller saw in one frame, for the check. */
export interface StallFrame {
  /** Reference block whose direct echo is in this frame. */
  echoBlock: number;
  micEnergy: number;
  noiseFloor: number;
  /** Whether the filter ran on this frame (its response means something for it). */
  filterRan: boolean;
  /** Blocks the filter reads the reference ahead of the echo's direct path (the echo's delay less the filter's start). */
  filterLeadBlocks: number;
}

export class StallCheck {
  /** The silence under test: its first block, its length in blocks and samples; null when none is. */
  private gap: { start: number; blocks: number; samples: number } | null = null;
  private judged = 0;
  private unexplainedNow = false;
  private playedOnVotes = 0;
  private ranDryVotes = 0;
  /** Frames after a skip in which the filter still holds what it read as placed. */
  private settleFrames = 0;
  private skips = 0;
  /** Whether the run after the silence under test has reached the filter (its first echo frame seen). */
  private runHeard = false;
  private runArrivedNow = false;

  constructor(
    /** Samples in one 10 ms block of the reference. */
    private readonly blockSamples: number,
  ) {}

  /** Silences read past so far. */
  get skipped(): number {
    return this.skips;
  }

  /**
   * A new run of playback was placed after `silence`: it is tested when it is a stall within an
   * answer (audio before it, no cut: a client that dropped its queue ran dry; short enough for a
   * client to have buffered it). Any test still going ends.
   */
  newRun(silence: PlacedSilence): void {
    const stall = silence.samples > 0 && silence.samples <= STALL_CHECK_MAX_MS * (this.blockSamples / 10) && silence.lastSoundBefore >= 0 && !silence.afterCut;
    const b = this.blockSamples;
    this.gap = stall ? { start: Math.floor(silence.start / b), blocks: Math.ceil(silence.samples / b), samples: silence.samples } : null;
    this.judged = this.playedOnVotes = this.ranDryVotes = 0;
    this.runHeard = false;
  }

  /** Whether the last frame was the first to hold the echo of the run after the silence under test. */
  get runArrived(): boolean {
    return this.runArrivedNow;
  }

  /** Whether the last frame was loud and neither reading explained it (see UNEXPLAINED_BELOW). */
  get unexplained(): boolean {
    return this.unexplainedNow;
  }

  /** Whether a silence is being tested. */
  get pending(): boolean {
    return this.gap !== null;
  }

  /** Whether the reference was just read past a silence and the filter has not caught up: its word is not to be taken. */
  get settling(): boolean {
    return this.settleFrames > 0;
  }

  /** The silence under test (its first reference block and its length in samples), or null. */
  get silence(): { startBlock: number; samples: number } | null {
    return this.gap && { startBlock: this.gap.start, samples: this.gap.samples };
  }

  /**
   * The echo was found (by a search: stall-watch.ts) at another reading: the client played through
   * part of the silence and ran dry for the rest, or ran dry for longer than placed. The test ends
   * as for a silence played through, and the filter settles for `filterLeadBlocks` and the frames
   * the search took to decide.
   */
  foundBySearch(filterLeadBlocks: number): void {
    this.readPast(filterLeadBlocks);
  }

  /** Stops testing (and settling), keeping the reference as it is read now. */
  stop(): void {
    this.gap = null;
    this.settleFrames = 0;
  }

  /**
   * One frame. `explained(skip)` is the share of the frame the filter explains from the reference
   * read `skip` samples later than placed (asked only on frames that can tell). Returns the
   * samples to skip from the next frame on (the silence's length) once the client is shown to
   * have played on, else 0.
   */
  frame(f: StallFrame, explained: (skip: number) => number): number {
    if (this.settleFrames > 0) this.settleFrames--;
    this.unexplainedNow = false;
    this.runArrivedNow = false;
    const gap = this.gap;
    if (!gap || f.echoBlock < gap.start) return 0;
    if (!this.runHeard && f.echoBlock >= gap.start + gap.blocks) this.runHeard = this.runArrivedNow = true;
    if (f.echoBlock > gap.start + gap.blocks + WATCH_BLOCKS || this.judged >= MOST_JUDGED) {
      this.gap = null;
      return 0;
    }
    if (!f.filterRan || f.micEnergy < f.noiseFloor * LOUD_OVER_FLOOR) return 0;
    this.judged++;
    const asPlaced = explained(0);
    const pastSilence = explained(gap.samples);
    const playedOn = pastSilence >= EXPLAINS && pastSilence >= asPlaced + EXPLAINS_BETTER_BY;
    // Only the run after the silence, placed, shows the client ran dry for all of it: within the
    // silence the reading as placed explains the room's tail of what came before, whatever the
    // client did next (a client that played part of the silence through was taken for one that ran dry).
    const ranDry = f.echoBlock >= gap.start + gap.blocks && asPlaced >= EXPLAINS && asPlaced >= pastSilence + EXPLAINS_BETTER_BY;
    this.unexplainedNow = asPlaced < UNEXPLAINED_BELOW && pastSilence < UNEXPLAINED_BELOW;
    this.playedOnVotes = playedOn ? this.playedOnVotes + 1 : 0;
    this.ranDryVotes = ranDry ? this.ranDryVotes + 1 : 0;
    if (this.ranDryVotes >= DECIDE_AFTER) this.gap = null;
    if (this.playedOnVotes < DECIDE_AFTER) return 0;
    this.readPast(f.filterLeadBlocks);
    return gap.samples;
  }

  /** The test ends with the reference read past (all or part of) the silence: the filter settles for its lead and the frames that decided. */
  private readPast(filterLeadBlocks: number): void {
    this.gap = null;
    this.settle(filterLeadBlocks);
    this.skips++;
  }

  /** The reference was just read elsewhere (a search decided in DECIDE_AFTER frames): the filter settles for its lead and those frames. */
  settle(filterLeadBlocks: number): void {
    this.settleFrames = filterLeadBlocks + DECIDE_AFTER + SETTLE_SLACK;
  }
}

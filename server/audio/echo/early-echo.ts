// The early filter's word for the onset gate (early-filter.ts): where it reads the reference, how
// much echo it leaves, and when it stops. It runs with SpeexDSP from the session's first echo,
// and gives each frame two energies: what it left of the microphone (no more than the microphone
// holds over the echo it predicts), and the residual echo to expect there. The gate lets speech
// start where the first stands 9 dB over the second (3 dB to go on: onset-gate.ts), and holds back
// speech SpeexDSP's filter would start where the first is within the second. Once SpeexDSP's filter
// has learnt the room it only witnesses: the second use only (see WITNESS).
//
// Placing. It starts reading at delay 0 and moves to the echo's delay as found by an estimator of
// its own, which answers on 200 ms of echo and estimates every 100 ms (bench:echo's rooms: the
// delay found 0.7-0.8 s into the first answer, within 2 ms of what the canceller's own lock finds
// at 2 s; that lock waits for more, since moving SpeexDSP throws away what it learnt, and an
// earlier move there cost other rows). The canceller's lock, once taken, places it instead. It
// vouches for nothing before it is placed by a delay found. Placed anew, it learns again from
// the last 640 ms of microphone at the new delay (the echo it had heard before it was placed),
// 16 frames at a time: the office's and far room's echo found at 0.8 s had come at 0.18 and
// 0.45 s, and a filter starting from nothing there vouched at 1.4-1.5 s; now 0.8-1.0 s.
//
// Its leak: a high percentile of residual over the loudest echo it predicted (decaying 0.5 dB a
// frame, as a room's tail), in echo alone, learnt as the canceller's (echo-leak.ts) but faster
// (the filter converges in a few hundred ms: 2 dB a frame down where a frame is 10 dB under it),
// and never taken under -20 dB. It vouches once the leak is down to -10 dB, and goes on until
// it is up to -8 dB.
//
// An echo come 1-55 ms later than it reads (a short underrun the server never saw: a frame the
// prediction made later explains 6 dB better) it finds itself, as it comes back: the move whose
// prediction explains a loud frame best, ranked with the prediction turned and then read exactly,
// two frames in a row agreeing within 2 samples. The canceller moves its reading there (its own
// filter trusted or not: FilterTrust.echoFoundLater) and the early filter reads on with what it
// learnt. Meanwhile (400 ms at most) it neither learns nor vouches. SpeexDSP, young 2 s into an
// answer, cancels a late echo 0-2 dB and says nothing of it (no distrust, no probe: the echo never
// went missing), and a word the user began over it was held (bench:echo short underruns, office
// room: missed). Otherwise it stands down for good at a sign the echo moved: a new run of
// playback, a move not found in time or that the canceller cannot take (no delay locked). The
// canceller distrusting its filter (unless while it searches, or settling after its own move:
// MOVE_SETTLE_FRAMES) makes it forget its leak and a witness only: it vouches again once proven
// anew. A drift of a few samples (a loudspeaker on another clock) it follows
// (EarlyEchoFilter.followDrift) and reads past (its residual is the least left by the prediction
// turned a few samples either way).
//
// Measured (bench:echo, 2026-12-06, against the same code without it): barge-ins 1-7 s into a
// first answer (the grid, 200) missed 3 -> 0, later than 100 ms 22 -> 11 (8 of them in the first
// 1.25 s: the delay is found at 0.8 s and the filter vouches from about 1.3 s); every echo-only
// row unchanged (self-interruptions 0); short underruns in the far room 2 s in 1024/992/1024 -> 32 ms.
// Learning again from the past when placed, and the leak's 2 dB steps (were 1): grid late 7 -> 1
// (office and far rooms 1.0-1.25 s in: 608-1856 -> 0-32 ms), early rows 1.0 s in 64 -> 0-32 and
// 608-1024 -> 0 (the far room at 0 dB still 992), every other row of bench:echo identical.
// Finding a move itself (against the code that stood down at it, same session): short underruns
// (48) missed 4 -> 0, later than 100 ms 4 -> 0; odd-length ones (80: 7-43 ms) turns 12 -> 0,
// missed 6 -> 1, later than 100 ms 10 -> 3; every other section identical.
// Its expectation decaying (it was held flat over the span), vouching on to -8 dB, and nothing
// vouched for 50 ms after the echo went missing (2026-12-07, against the code before, same
// session): grid first answer later than 100 ms 1 -> 0 (far room 0 dB 1.0 s in: 992 -> 96 ms),
// odd-length underruns later than 100 ms 3 -> 2 (small room 0 dB 23 ms 2 s in: 1056 -> 32 ms);
// other barge-in cells equal or up to 64 ms sooner but two (office 0 dB, 7 and 10 ms 3 s in:
// 0 -> 32), and two early cells 1.5 s in now start a VAD frame before the no-echo onset; the
// echo-only rows, stalls, clocks and pauses identical.
import { DelayLock } from './delay-lock.js';
import { EARLY_TAPS, EarlyEchoFilter, WINDOW_FRAMES } from './early-filter.js';
import { EchoLeak, type LeakSteps } from './echo-leak.js';
import { LockHistory } from './lock-history.js';
import type { EchoReference } from './reference.js';

const SAMPLES_PER_MS = 16;
const FRAME_SAMPLES = 160;
/** The first tap reads this far before the delay found (the estimate's spread and the window's reach). */
const MARGIN_MS = 30;
/** The room tail the filter must span past the direct path; where it does, a new estimate leaves it where it is. */
const TAIL_MS = 100;
const SPAN_MS = EARLY_TAPS * 10;
/** The early estimator: every 10 frames, on 20 blocks of reference activity and 610 ms of microphone. */
const ESTIMATE_EVERY_FRAMES = 10;
const ESTIMATOR = { minActiveFraction: 0.05, minHistoryBlocks: 61 };
/** Leak steps per frame, dB (echo-leak.ts), the canceller's times 10/3: the filter converges in a few hundred ms. */
const LEAK_STEPS: LeakSteps = { upDb: 1, downDb: 0.1, fastDownDb: 2 };
/** A frame past the expected residual by this much (dB) is the user, not the echo: the leak only creeps, the filter does not learn. */
const NEAR_END_DB = 6;
const NEAR_END = 10 ** (NEAR_END_DB / 10);
/** Once it vouches, a microphone this much (3 dB) over the echo predicted holds a near-end voice. */
const LOUDER_THAN_ECHO = 10 ** (3 / 10);
/** The leak the expected residual is taken at, at least (dB). */
const LEAST_LEAK_DB = -20;
/** A frame the prediction made 1-55 ms later leaves under this share of the residual (6 dB under): the echo moved. Judged only once the filter vouches (younger, a prediction 3 dB better elsewhere was chance). */
const MOVED_SHARE = 0.25;
/** How long the move is searched for once the echo is seen to have moved (400 ms, as the canceller's probe: late-echo-probe.ts). */
const MOVE_SEARCH_FRAMES = 40;
/** A frame says where the echo went only where the microphone stands this far (10 dB) over its noise: the echo is back. */
const MOVE_LOUD = 10;
/** The move read exactly within this many samples of the best found by turning the prediction, 2 apart, then 1 either side of the best of those. */
const MOVE_REFINE = 6;
/** Two frames in a row finding the move within this many samples confirm it. */
const MOVE_AGREE = 2;
/** After a move it found, a distrust of SpeexDSP's filter within this many frames (300 ms) is SpeexDSP settling at the new reading (its taps hold the echo as it was), not the echo moving again. */
const MOVE_SETTLE_FRAMES = 30;
/** The leak learns from a frame only where the bins the filter counted hold this share of the microphone. */
const LEAK_COVERAGE = 0.05;
/** The filter vouches for frames once its leak is down to this (it cancels at least 10 dB). */
const USABLE_LEAK_DB = -10;
/**
 * Vouching, it goes on until its leak is up to this: a user's first syllable, faint under the echo
 * (17 dB in the far room 1.0 s in), stands within its near-end margin, and its leak, learning from
 * it, rose past -10 dB within 30 ms, just as the user grew louder than the echo (grid: 992 ms late).
 */
const STILL_USABLE_LEAK_DB = -8;
/**
 * The microphone under the echo predicted by this much (3 dB) says the echo went missing; it
 * vouches for nothing for MISSING_HOLD_FRAMES after: the echo of an underrun came back 30 ms late
 * 3 dB louder than the prediction at the old reading, 15 dB over what it expected, a frame before
 * it was seen to have moved (the office, with its expected echo decaying: early-echo.test.ts).
 */
const ECHO_MISSING = 2;
const MISSING_HOLD_FRAMES = 5;
/**
 * The loudest echo predicted decays this much a frame (0.5 dB: a 1.2 s RT60, far longer than
 * bench:echo's rooms' 150-300 ms). The leak is learnt against it too: at 1 dB the leak sat higher
 * (the tails' share counted) and rose on a user's faint first frames (grid, near room 0 dB 1.25 s
 * in: 32 -> 128 ms; far room, 50 ms underrun 2 s in: 32 -> 992); at 0.3 dB the far room 1.0 s in
 * stayed 992 ms late. Learnt against the 200 ms maximum, with only the expectation decaying, the
 * echo alone under a two-device clock drift (300 ppm) started four turns.
 */
const ECHO_PEAK_DECAY = 10 ** (-0.5 / 10);
/**
 * SpeexDSP has learnt the room once, trusted, it has had its leak at or under LEARNT_LEAK_DB and its
 * linear output at or under LEARNT_LINEAR_LEAK (-28 dB; both re the loudest reference that can echo)
 * in LEARNT_AFTER_FRAMES frames of echo; the early filter is then a witness (as it is after
 * MAX_ECHO_FRAMES of echo: RLS's time is up). SpeexDSP's leak alone is learnt from
 * the suppressed output, which hides a young filter: in the near room (an echo 8 dB under the
 * reference), at -30 dB 2.9 s in, SpeexDSP's linear output was only 8-10 dB under the echo (this
 * filter's: 25 dB), and a user's first word after a short underrun there was heard late or not at all
 * (bench:echo odd-length underruns). With the linear output at -25 dB it still stopped vouching where
 * that output was 10-14 dB under the echo (the near room at -6 dB, 3.1 s in: 992 and 1696 ms late);
 * at -28 RLS runs 0.3-2.7 s longer than on the leak alone (at -20 dB echo, no longer), which cost
 * ~10% more of the canceller's CPU over a 10 s answer.
 *
 * WITNESS. It was let go at that point, until SpeexDSP's trusted filter, misfitting mid-sound (its
 * linear output rising from 20 to 5-8 dB under the microphone for 60-120 ms in a steady low sound,
 * the echo path unchanged), paused answers with nothing to tell the misfit from a user (bench:echo
 * pauses, small room +6 dB, 6.6 s in; the socket's echo alone, small room 0 dB, 8.6 s in, now and
 * then). As a witness it goes on learning by NLMS, at a tenth of RLS's CPU, and explained those
 * frames 8-15 dB under what it expects. It may only hold speech back: learning by NLMS, its
 * filter is no longer proven against a sound new to it, and it no longer searches for a move.
 */
const LEARNT_LEAK_DB = -25;
const LEARNT_LINEAR_LEAK = 10 ** (-28 / 10);
const LEARNT_AFTER_FRAMES = 100;
const MAX_ECHO_FRAMES = 800;
/**
 * Placed anew, the filter learns again from this many frames of the past (640 ms) before the
 * frame at hand, read at the new delay: the far room's echo comes 0.45 s in and its delay is
 * found at 0.8 s, and the filter, starting from nothing there, had heard none of it.
 */
const REPLAY_FRAMES = 64;
/** Frames stepped through at most per frame heard while it catches up (~6 ms CPU: the whole past at once held the event loop 25-70 ms). */
const STEPS_PER_FRAME = 16;
/** Frames kept: those replayed and, before them, those the analysis window reaches back over. */
const KEPT_FRAMES = REPLAY_FRAMES + WINDOW_FRAMES - 1;

export interface EarlyEchoFrame {
  mic: Int16Array;
  micEnergy: number;
  /** The frame's own position on the reference, samples. */
  refPos: number;
  /** Reference audio can echo in the frame. */
  active: boolean;
  /** The canceller's locked delay, ms (null before its lock). */
  lockedDelayMs: number | null;
  /** SpeexDSP's leak (dB), what its filter left of the frame before suppression (linear output energy), and whether it is trusted. */
  mainLeakDb: number;
  mainLinearEnergy: number;
  mainTrusted: boolean;
  /** The loudest reference that can echo in the frame (the leaks' scale). */
  loudestReference: number;
}

export class EarlyEcho {
  /** Made at the first echo, dropped at retirement (its inverse correlations, 0.8 MB, let go once a witness). */
  private filterNow: EarlyEchoFilter | null = null;
  private readonly lock: DelayLock;
  private readonly reference: EchoReference;
  private placedMs = 0;
  /** Placed by a delay found (its own lock's or the canceller's): before that it vouches for nothing. */
  private placed = false;
  private leak = new EchoLeak(LEAK_STEPS);
  private echoFrames = 0;
  private learntFrames = 0;
  /** The run of playback it learnt in (EchoReference.runs); -1 before any echo. */
  private run = -1;
  private retiredFlag = false;
  private frames = 0;
  private residualNow = 0;
  /** The loudest echo the filter predicted, decaying ECHO_PEAK_DECAY a frame. */
  private echoPeak = 0;
  /** It vouched for the last frame of echo (and goes on until its leak is up to STILL_USABLE_LEAK_DB). */
  private vouching = false;
  /** The step the echo was last seen missing. */
  private missingAt = Number.NEGATIVE_INFINITY;
  private expectedNow = 0;
  /** The microphone frames since the filter was made and their positions on the reference (the last KEPT_FRAMES), and whether reference audio could echo in each. */
  private readonly kept = new LockHistory(FRAME_SAMPLES, KEPT_FRAMES);
  private readonly keptActive = new Uint8Array(KEPT_FRAMES);
  /** The next kept frame to judge and learn from: the frame at hand, or one of the past while it catches up after a placement. */
  private nextStep = 0;
  private steps = 0;
  /** The search for where the echo went (see searchMove): the frames it has left, the step it began at, and the move the last frame found (NaN: none). */
  private moveSearch: { framesLeft: number; since: number; candidate: number } | null = null;
  /** A move found (samples later) and the frames to hear again at it (since the echo was seen to move, and the gap's), until the canceller takes it (foundMove). */
  private found: { samples: number; frames: number } | null = null;
  /** Whether the canceller can read the reference elsewhere (its delay locked): else a move found is of no use, and the filter retires. */
  private mayFollow = false;
  /** The reference position the next frame has unless the canceller moved the reading. */
  private expectedRefPos = Number.NaN;
  /** The frame the canceller last took a move the filter found. */
  private movedAt = Number.NEGATIVE_INFINITY;

  constructor(reference: EchoReference, maxDelayMs: number) {
    this.reference = reference;
    this.lock = new DelayLock(maxDelayMs, ESTIMATOR);
  }

  /** No longer run: the echo may have moved (a new run of playback, a placement elsewhere), or no echo path is modelled. */
  get retired(): boolean {
    return this.retiredFlag;
  }

  /**
   * It only witnesses the echo (see WITNESS): what it says may hold a frame back as echo, never
   * let speech start or carry on, nor bridge a candidate.
   */
  get witnessing(): boolean {
    return this.filterNow?.witnessing ?? false;
  }

  /** What the filter left of the last frame (FFT units); 0 where it vouches for nothing. */
  get residual(): number {
    return this.expectedNow > 0 ? this.residualNow : 0;
  }

  /** The residual echo to expect in the last frame (FFT units); 0 where it vouches for nothing. */
  get expected(): number {
    return this.expectedNow;
  }

  /** The leak, dB (for tracing). */
  get leakDb(): number {
    return this.leak.db;
  }

  /**
   * The move of the echo the filter found (samples later) and the frames to hear again at it (since
   * it was seen to move, and the gap's): the canceller reads the reference there from the next frame (FilterTrust.echoFoundLater),
   * and the filter reads on with it. Read once, at the frame's end.
   */
  get foundMove(): { samples: number; frames: number } | null {
    return this.found;
  }

  /** Whether it holds its filter (from the first echo until it retires). */
  get holdsFilter(): boolean {
    return this.filterNow !== null;
  }

  frame(f: EarlyEchoFrame): void {
    this.expectedNow = 0;
    const found = this.found;
    this.found = null;
    if (this.retiredFlag) return;
    this.lock.addMicBlock(f.micEnergy, f.refPos / 160);
    // Nothing to learn before the first echo (a session that never speaks never makes the filter).
    if (!f.active && this.filterNow === null) return;
    this.filterNow ??= new EarlyEchoFilter(this.reference);
    const filter = this.filterNow;
    if (f.active && this.run === -1) this.run = this.reference.runs;
    if (f.active) this.echoFrames++;
    if (f.active && f.mainTrusted && f.mainLeakDb <= LEARNT_LEAK_DB && f.mainLinearEnergy <= f.loudestReference * LEARNT_LINEAR_LEAK) this.learntFrames++;
    // Retired at a new run of playback (a stall, a new answer: it may be placed off where the client plays it).
    if (this.run !== -1 && this.reference.runs !== this.run) return this.retire();
    // The canceller distrusting its filter (unless just after a move the filter found: SpeexDSP
    // settles at the new reading, MOVE_SETTLE_FRAMES): the echo's delay may have jumped beyond
    // what the filter reads, or be drifting as the canceller reads it. It forgets its leak, and
    // is a witness only from then on, vouching again once it has proven itself anew (a filter
    // reading elsewhere cannot). It stood down for good here before, and SpeexDSP, distrusted for
    // 120 ms where the echo came back after a pause (the small room at +6 dB, the pauses row's
    // second text, 3.1 s in), misfitted at 6.6 s with nothing to tell its misfit from a user: the
    // answer paused. Going on by RLS instead, with its word whole, it took the echo for a user
    // 1.9 s after such a distrust under a two-device clock drift (300 ppm; bench:echo clocks: the
    // canceller now reads the reference past the drift, and the filter followed it as well).
    const distrusted = f.active && this.placed && !f.mainTrusted && this.moveSearch === null && this.frames - this.movedAt > MOVE_SETTLE_FRAMES;
    if (distrusted) {
      this.forgetLeak();
      if (!filter.witnessing) this.becomeWitness(filter);
    }
    if (!filter.witnessing && (this.learntFrames >= LEARNT_AFTER_FRAMES || this.echoFrames >= MAX_ECHO_FRAMES)) this.becomeWitness(filter);
    // A move found last frame: taken, the reference is read there now (the canceller's clock
    // moved): the filter keeps the room and reads on. Not taken: its word is over.
    // Any other move of the canceller's reading (its probe found the echo first) it follows too.
    const jump = this.expectedRefPos - f.refPos;
    if (found !== null && Math.abs(jump - found.samples) > MOVE_AGREE) return this.retire();
    if (found !== null) this.movedAt = this.frames;
    if (Math.abs(jump) > MOVE_AGREE) {
      this.moveSearch = null;
      filter.reread(f.refPos, this.placedMs * SAMPLES_PER_MS);
    }
    this.expectedRefPos = f.refPos + FRAME_SAMPLES;
    this.mayFollow = f.lockedDelayMs !== null;
    // Not for a witness: a delay found elsewhere would only retire it (place).
    if (++this.frames % ESTIMATE_EVERY_FRAMES === 0 && f.lockedDelayMs === null && f.active && !filter.witnessing) this.lock.update((block) => this.reference.blockEnergy(block));
    const delayMs = f.lockedDelayMs ?? (this.lock.locked ? this.lock.delayMs : null);
    this.placed ||= delayMs !== null;
    if (delayMs !== null) this.place(delayMs, f.refPos);
    this.keptActive[this.kept.recorded % KEPT_FRAMES] = f.active ? 1 : 0;
    this.kept.record(f.mic, f.refPos);
    const last = Math.min(this.kept.recorded, this.nextStep + STEPS_PER_FRAME);
    for (; this.nextStep < last && !this.retiredFlag; this.nextStep++) {
      this.step(filter, this.kept.frame(this.nextStep), this.kept.position(this.nextStep), this.keptActive[this.nextStep % KEPT_FRAMES] === 1);
    }
    // Still stepping through the past after a placement: it vouches for nothing until it has caught up.
    if (this.nextStep < this.kept.recorded) this.expectedNow = 0;
  }

  /** Judges a frame by what the filter learnt before it, then learns from it. */
  private step(filter: EarlyEchoFilter, mic: Int16Array, refPos: number, active: boolean): void {
    // Judged before learning: the expected residual of this frame comes from what was learnt before it.
    const leakBefore = this.leak.db;
    filter.frame(mic, refPos, this.placedMs * SAMPLES_PER_MS);
    // The loudest echo it predicted, decaying as a room's tail does: the residual of a loud syllable
    // lingers as the echo decays (the residual over the echo predicted just then stood 10-14 dB
    // over its leak in the office's decays). Held flat over the filter's 200 ms span instead, a
    // 72 dB syllable hid the far room's user 3-8 dB over the echo after it (grid, 1.0 s in), and
    // the small room's user 2 dB under one (23 ms underrun 2 s in: 1056 ms late).
    this.steps++;
    this.echoPeak = Math.max(filter.echoEnergy, this.echoPeak * ECHO_PEAK_DECAY);
    const echo = this.echoPeak;
    // What no reading of the echo a few samples off explains (EarlyEchoFilter.explainedResidualEnergy).
    const residual = filter.explainedResidualEnergy;
    const noise = filter.noiseEnergy;
    // The leak as learnt in steady echo is deeper than the filter cancels where the echo starts
    // again after a pause (the residual 7-14 dB over a -33 dB leak for 200 ms): never under LEAST_LEAK_DB.
    const expected = echo * 10 ** (Math.max(leakBefore, LEAST_LEAK_DB) / 10) + noise;
    // A near-end voice: what it leaves well over what it expects, or, once it vouches, a microphone
    // clearly louder than the echo it predicts (the user adds energy; at 0 dB the far room's user
    // left only 0-8 dB over a young leak, which learnt from those frames and rose 1 dB a frame).
    const usableBefore = this.placed && leakBefore <= (this.vouching ? STILL_USABLE_LEAK_DB : USABLE_LEAK_DB);
    const nearEnd = residual > expected * NEAR_END || (usableBefore && filter.micEnergy > filter.echoEnergy * LOUDER_THAN_ECHO);
    // The echo moved (a short underrun the server never saw): the prediction made 1-55 ms later
    // explains the frame far better than where the filter reads. It vouches for nothing until it
    // has found where (searchMove), and retires where it cannot (still catching up after a
    // placement, or the canceller unable to move its reading).
    if (!filter.witnessing && this.moveSearch === null && nearEnd && usableBefore && filter.laterMove().residual < residual * MOVED_SHARE) {
      const caughtUp = this.nextStep === this.kept.recorded - 1;
      if (!caughtUp || !this.mayFollow) return this.retire();
      this.moveSearch = { framesLeft: MOVE_SEARCH_FRAMES, since: this.steps, candidate: Number.NaN };
    }
    if (this.moveSearch !== null) return this.searchMove(filter, residual, noise);
    if (active) {
      // Over the echo predicted (+1: it may have predicted none); a frame with a near-end voice
      // only creeps it up. Not from a frame whose counted bins hold little of what was heard (a
      // sound the filter has not learnt: with none counted, the residual is 0, and the far room's
      // leak fell to -11 dB on 19 such frames, vouched, and its young filter then stood down).
      if (filter.countedShare >= LEAK_COVERAGE) this.leak.learn(residual, echo + 1, NEAR_END_DB, nearEnd);
      // Until it cancels the echo, the user cannot be told from it: it learns from every frame.
      if (!nearEnd || !usableBefore) filter.learn();
      if (!nearEnd && usableBefore) filter.followDrift();
    }
    const usable = active && usableBefore;
    if (active) this.vouching = usable;
    // The echo went missing (the microphone well under the echo predicted: a user only adds to it):
    // the client ran dry, and the echo may come back later than the filter reads it, a frame or
    // two before the move is seen (and searched for, or the filter stands down). For 50 ms after,
    // it vouches for nothing.
    if (filter.micEnergy * ECHO_MISSING < filter.echoEnergy) this.missingAt = this.steps;
    const echoThere = this.steps - this.missingAt > MISSING_HOLD_FRAMES;
    // No more of the user than the microphone holds over the echo predicted: a prediction of echo
    // that is not there (the client ran dry) leaves a residual louder than the microphone, and an
    // echo path drifting (a loudspeaker on another clock, 300 ppm) one the filter no longer
    // cancels, though its energy is the echo's (the user adds energy; bench:echo's two-device
    // clock rows, small room: the echo alone stood 10-19 dB over the expected residual 1.3-2.6 s in).
    this.residualNow = Math.min(residual, Math.max(0, filter.micEnergy - filter.echoEnergy));
    this.expectedNow = usable && echoThere ? Math.max(expected, 1e-3) : 0;
  }

  /**
   * Where the echo went, on a frame judged after it was seen to move: the move whose prediction
   * explains a loud frame (the echo back) 6 dB better than as read, ranked by the filter's turned
   * predictions (laterMove) and then read exactly: the exact read decides, since a turn is a poor
   * stand-in for a move by much of a frame (the far room, 23 ms 2 s in: 368 samples explained 6 dB
   * better read exactly, not turned, and found only after the user's first word had ended: 960 ms
   * late). Two frames in a row agreeing confirm it. The user speaking over the echo leaves as much
   * at any reading: nothing is found while the user speaks. Meanwhile it neither learns nor
   * vouches; nothing found in MOVE_SEARCH_FRAMES, it retires.
   */
  private searchMove(filter: EarlyEchoFilter, residual: number, noise: number): void {
    const search = this.moveSearch!;
    this.expectedNow = 0;
    if (search.framesLeft-- <= 0) return this.retire();
    const mic = filter.micEnergy;
    const coarse = mic > noise * MOVE_LOUD ? filter.laterMove() : null;
    let best = { samples: 0, residual };
    const tryMove = (samples: number) => {
      const left = filter.residualMovedBy(samples);
      if (left < best.residual) best = { samples, residual: left };
    };
    if (coarse !== null && coarse.residual < residual) {
      for (let d = -MOVE_REFINE; d <= MOVE_REFINE; d += 2) tryMove(coarse.samples + d);
      const around = best.samples;
      if (around !== 0) {
        tryMove(around - 1);
        tryMove(around + 1);
      }
    }
    const fits = best.samples !== 0 && best.residual < residual * MOVED_SHARE && best.residual < mic * MOVED_SHARE;
    // The frames to hear again at the move: those since it was seen, this one, and the gap's before them.
    if (fits && Math.abs(best.samples - search.candidate) <= MOVE_AGREE) this.found = { samples: best.samples, frames: this.steps - search.since + 1 + Math.ceil(best.samples / FRAME_SAMPLES) };
    search.candidate = fits ? best.samples : Number.NaN;
  }

  /** Places the filter to read the echo at `delayMs`, where its span does not cover it; the frame at hand is at reference position `refPos`. */
  private place(delayMs: number, refPos: number): void {
    const covered = delayMs >= this.placedMs && delayMs + TAIL_MS <= this.placedMs + SPAN_MS;
    const filter = this.filterNow;
    if (covered || filter === null) return;
    // A witness learns too slowly to start over elsewhere.
    if (filter.witnessing) return this.retire();
    this.placedMs = Math.max(0, delayMs - MARGIN_MS);
    this.moveSearch = null;
    this.echoPeak = 0;
    this.leak = new EchoLeak(LEAK_STEPS);
    // The frames kept, heard again at the new delay, judged and learnt from as they were live
    // (a few a frame: frame() steps through them).
    const replayed = Math.min(REPLAY_FRAMES, this.kept.recorded);
    const first = this.kept.recorded - replayed;
    this.nextStep = first;
    const before = new Int16Array((WINDOW_FRAMES - 1) * FRAME_SAMPLES);
    for (let k = 0; k < WINDOW_FRAMES - 1; k++) {
      const index = first - (WINDOW_FRAMES - 1) + k;
      if (index >= 0) before.set(this.kept.frame(index), k * FRAME_SAMPLES);
    }
    filter.restart(replayed > 0 ? this.kept.position(first) : refPos, this.placedMs * SAMPLES_PER_MS, before);
  }

  /** From now on a witness only (see witnessing). */
  private becomeWitness(filter: EarlyEchoFilter): void {
    this.moveSearch = null;
    filter.witness();
  }

  /** Its leak back to where it starts: it vouches for nothing until it has learnt it again. */
  private forgetLeak(): void {
    this.leak.forget(null);
    this.vouching = false;
  }

  /** Retires it now (the canceller bypassed, or no echo path heard): its filter let go. */
  standDown(): void {
    this.retire();
  }

  private retire(): void {
    this.retiredFlag = true;
    this.found = null;
    this.filterNow = null;
    this.expectedNow = 0;
  }
}

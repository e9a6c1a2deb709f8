// Whether the canceller's adaptive filter is aligned with the echo, and what follows when it is
// not. While it is distrusted no onset passes the gate over the assistant's voice on its word:
// its residual estimate (the leak) would let the echo through, so an onset must stand above the
// loudest echo the room can return at all (EchoPathBound).
//
// The filter's echo estimate is y = mic - output. Aligned, y is the echo and takes its energy out
// of the microphone whatever the user adds (output ~ mic - y); misaligned (the delay jumped
// because the client ran dry and plays the rest later, or SpeexDSP reset a diverged filter and
// relearns) y is uncorrelated with the microphone and adds its energy (output ~ mic + y). Frames
// where y holds a real share of the microphone, and the microphone alone would pass the gate (so
// the filter decides), are evidence either way; other frames keep the state. A trusted filter's
// frame that adds energy only broadband, not once pre-emphasised, is the user's voice meeting the
// echo out of phase at the fundamental, and says nothing (chanceCorrelation).
//
// Distrusted long (100 ms), the echo no longer comes the way it did: the path bound is forgotten,
// and the leak once the filter is trusted again (it relearnt). Unless the echo only moved: when it
// goes missing soon after the distrust (the filter's estimate far over the microphone: the client
// ran dry), the filter is held and the echo searched for at other readings of the reference with
// the response the filter had (echo-realign.ts, shadow-echo.ts). Found, the reference is read
// there, the filter hears the frames kept again at that reading and keeps its leak.
//
// A short underrun in a pause of the answer shows no echo missing after the distrust: the gap's
// frames, too quiet to pass the gate alone, say nothing of the filter, and the distrust comes as
// the echo comes back late. The echo predicted far over a quiet microphone just before the
// distrust (ECHO_GONE_BELOW_ESTIMATE) starts the same hold and search. Held so, the echo is back:
// it may have come early as well, and the search looks further earlier (ECHO_BACK_EARLIER).
// Where no distrust comes at all (a filter 10-30 ms off still cancels the late echo a few dB), a
// new sound the filter predicted where none came starts a probe for the echo up to 64 ms later
// while the filter stays trusted and runs (late-echo-probe.ts).
//
// A distrust that comes as the user speaks over the echo, while the filter visibly cancelled it,
// is SpeexDSP adapting to the voice (its double-talk detector is late at a word's start), not a
// new room: the bound and leak are forgotten only if it lasts 500 ms, and for its first 200 ms
// the gate goes on trusting the filter's residual, so the word that made it is not cut in two.
import type { EchoLeak } from './echo-leak.js';
import { mainTap } from './drift-tracker.js';
import type { EchoPathBound } from './echo-path-bound.js';
import { CLEARLY_BETTER, EchoRealigner, MOST_LATER } from './echo-realign.js';
import type { EchoReference } from './reference.js';
import type { ReferenceClock } from './reference-clock.js';
import { LateEchoProbe } from './late-echo-probe.js';
import { ShadowEcho } from './shadow-echo.js';

/** Reference energy (mean square, int16 units) below which it is silence (~ -70 dBFS). */
const ACTIVE_ENERGY = 10;
/** The filter's echo estimate is evidence of its alignment when it holds this share of the microphone's energy. */
const EVIDENCE_SHARE = 0.2;
/** Output energy over the microphone's below which a frame says the filter is aligned, above which misaligned. */
const ALIGNED_BELOW = 0.9;
const MISALIGNED_ABOVE = 1.1;
/** Frames of evidence in a row that make the filter trusted, or distrusted. */
const TRUST_AFTER = 3;
const DISTRUST_AFTER = 2;
/** Within this of the microphone's noise floor (6 dB) a frame says nothing of the filter unless its echo estimate stands above it too. */
const NOISE_EVIDENCE_ABOVE = 10 ** (6 / 10);
/** A distrust this long (100 ms) means the filter relearns: its leak estimate is forgotten when trusted again, and the path bound at once. */
const FORGET_AFTER_FRAMES = 10;
/** The microphone this far over its noise floor (10 dB) while the filter is distrusted: loud enough to search where the echo went. */
const REALIGN_LOUD = 10;
/** After a distrust, the filter's echo estimate this far (9 dB) over the microphone: the echo went missing. */
const ECHO_MISSING_BELOW_ESTIMATE = 8;
/** Frames after a distrust in which the echo may be seen missing. */
const JUMP_WATCH_FRAMES = 10;
/**
 * Before a distrust, the trusted filter's echo estimate this far (13 dB) over the microphone: the
 * echo went missing. A drifting clock's filter predicts a word's start a few ms early, 9-11 dB
 * over the microphone (two devices, -300 ppm); an underrun's gap, 13.5-21 dB.
 */
const ECHO_GONE_BELOW_ESTIMATE = 20;
/**
 * How much earlier than placed (400 ms, samples at 16 kHz) the search looks when the hold began
 * with the echo back: the echo that went missing may have come early as well as late (a silence
 * the client played through, not caught by the stall check; a client that dropped audio). Searched
 * to 100 ms only, the echo of a 300 ms silence played through was explained by no reading, taken
 * for the user, and started a turn (bench:echo played-stall rows without the stall check).
 */
const ECHO_BACK_EARLIER = 400 * 16;
/**
 * Double talk: frames in a row (50 ms) where the trusted filter cancels echo (its output under the
 * microphone, its estimate a real share of it) and the output still stands over what the gate lets
 * pass alone. A distrust within DOUBLE_TALK_WITHIN frames of such a run is the filter adapting to
 * the voice. bench:echo's office room at 0 dB: the real clips' first word distrusted the filter
 * (cancelling 40 dB) 150 ms in, 100 ms of it forgot the bound and leak (to +10 dB), and the whole
 * barge-in was missed. A delay jump distrusts within two frames of its first misaligned one, with
 * no such run before it (a young filter's echo passing over a low leak is no run either: its
 * output is not under the microphone).
 */
const DOUBLE_TALK_RUN = 5;
const DOUBLE_TALK_WITHIN = 5;
/** A double-talk distrust forgets the bound and leak only this long (500 ms): a word is over by then, and a filter still misaligned after it is. */
const DOUBLE_TALK_FORGET_AFTER_FRAMES = 50;
/** For this long (200 ms) after a double-talk distrust the gate trusts the filter's residual: the onset that made it goes on. */
const DOUBLE_TALK_GATE_FRAMES = 20;
/**
 * A filter trusted again soon after a distrust (its leak kept) by frames that cancel less than
 * this (10 dB), with no move of the reading found, may still be misaligned: 0.5 dB of
 * cancellation counts as aligned evidence. The gate does not vouch for it (proven) until a frame
 * shows it cancelling that well, or for PROOF_FRAMES (200 ms). Traced: the client ran dry 150
 * samples longer than placed after a 30 ms stall; the filter, 150 samples off, cancelled 4.5 dB,
 * was trusted with the leak of a filter that had cancelled 40 dB, and the echo started a turn.
 */
const PROVEN_BELOW = 0.1;
const PROOF_FRAMES = 20;
/**
 * A filter trusted at once after a move of its reading (readingMoved) and distrusted again within
 * this many frames (300 ms: its span, which still holds frames heard at the old reading) is still
 * the one realigned: trusted again, it is neither unproven nor taught to forget its leak. Taken
 * for a new distrust, it was not vouched for to the gate for 200 ms, and a barge-in 600 ms after
 * a 30 ms stall the client ran dry 150 samples longer (small room, 300 ms into a second answer)
 * was missed.
 */
const MOVE_SETTLE_FRAMES = 30;
/**
 * For this long (100 ms) after a distrust of a filter vouched for until then, a candidate the gate
 * let start may be bridged over it (OnsetGate.mayBridge: only if the echo models heard the user).
 */
const BRIDGE_DISTRUST_FRAMES = 10;

/**
 * A trusted filter's frame misaligned by its energies (output over the microphone) but not once
 * pre-emphasised (TiltedEnergies: its estimate a real share there, the output not over the
 * microphone): the user's voice and the echo correlated by chance in the frame's one or two
 * cycles of the fundamental, and the frame says nothing. Traced at barge-ins' onsets (bench:echo
 * grid): the broadband correlation of the microphone with the estimate 0.0-0.3 (misaligned),
 * pre-emphasised 0.45-1.1 (aligned), and two such frames distrusted filters cancelling 30-50 dB
 * under the user's first word. An estimate over twice the microphone is no chance meeting of two
 * voices, unless pre-emphasised the filter cancels 10 dB: SpeexDSP adapts on pre-emphasised
 * signals and weighs the low band least, and there its estimate added 5-8 dB to a quiet echo
 * (near room, 4 s into a first answer: est 5.6x the microphone, the pre-emphasised output 0.07x).
 */
const CHANCE_ESTIMATE_MAX = 2;
function chanceCorrelation(f: FilterFrame): boolean {
  const t = f.tilted;
  if (!t || t.estimateEnergy < t.micEnergy * EVIDENCE_SHARE || t.outputEnergy > t.micEnergy * MISALIGNED_ABOVE) return false;
  return f.estimateEnergy <= f.micEnergy * CHANCE_ESTIMATE_MAX || t.outputEnergy < t.micEnergy * PROVEN_BELOW;
}

export interface FilterTrustDeps {
  frameSamples: number;
  reference: EchoReference;
  /** Read past a move found (ReferenceClock.skipStall). */
  clock: ReferenceClock;
  leak: EchoLeak;
  pathBound: EchoPathBound;
  /** The filter's impulse response, in a buffer the next read reuses. */
  response: () => Int32Array;
  /**
   * Runs the filter on a microphone frame heard before, against the reference read from `readFrom`
   * (silence before `silentBefore`: EchoRealigner.replay, whose callback this is, passes it third).
   * `held`: a frame the filter was held over (the hold just ended), heard in order, which the
   * canceller may hand on as cancelled now (deferred-frames.ts); otherwise its output is unused.
   */
  hearAgain: (frame: Int16Array, readFrom: number, silentBefore?: number, held?: boolean) => void;
}

/** A frame the filter ran on: energies (mean square, int16 units) of the microphone, the filter's output and its echo estimate. */
export interface FilterFrame {
  micEnergy: number;
  outputEnergy: number;
  estimateEnergy: number;
  /** The microphone energy that would pass the gate alone (the residual times the onset margin; 0 with no reference): below it the filter decides nothing. */
  passesAlone: number;
  noiseFloor: number;
  /** The echo's delay is locked: only then is the response a room to search with. */
  locked: boolean;
  /** The same three energies after a pre-emphasis (TiltedEnergies): a frame misaligned by the first but not by these says nothing. */
  tilted?: { micEnergy: number; outputEnergy: number; estimateEnergy: number };
  /** The echo estimate stands well over its least in the 100 ms before (EstimateRise.rising): a new sound read. */
  estimateRising?: boolean;
}

export class FilterTrust {
  private trustedNow = true;
  /** Evidence in a row for (+) or against (-) the filter's alignment. */
  private evidence = 0;
  /** The frame the filter was last distrusted at, and whether the path bound has been forgotten since. */
  private distrustedSince = 0;
  private boundForgotten = false;
  /** Distrusted forgetAfter frames while the filter was held: the bound is forgotten when it runs again (unless the echo was found). */
  private forgetBoundWhenRun = false;
  /** The frame the filter was trusted again without proof (see PROVEN_BELOW); -Infinity when proven. */
  private unprovenSince = Number.NEGATIVE_INFINITY;
  /** A frame of the aligned run in progress cancelled PROVEN_BELOW. */
  private wellInRun = false;
  /** Where the echo went after its delay jumped: the search, the filter's response when distrusted (copied into its shadow), and the leak it had learnt. */
  private readonly realigner: EchoRealigner;
  private readonly shadow = new ShadowEcho();
  /** Looks for an echo come back late while the filter is still trusted (late-echo-probe.ts). */
  private readonly lateEcho: LateEchoProbe;
  /** The leak when the filter was last distrusted with the delay locked (null: not so distrusted). */
  private leakAtDistrust: number | null = null;
  /** Frames left to see the echo missing after a distrust (see JUMP_WATCH_FRAMES). */
  private jumpWatchFrames = 0;
  /** The last frame the trusted filter, locked, predicted echo far over the microphone (see ECHO_GONE_BELOW_ESTIMATE). */
  private echoMissingAt = Number.NEGATIVE_INFINITY;
  /** The last frame judged whose echo estimate stood far over the microphone (ECHO_GONE_BELOW_ESTIMATE), trusted or not. */
  private estimateOverMicAt = Number.NEGATIVE_INFINITY;
  /** The filter was found again by moving the reading: trusted again, it keeps the leak it had. */
  private realigned = false;
  /** The frame the reading last moved to where a stall's echo was found, the filter trusted at once (readingMoved). */
  private movedAt = Number.NEGATIVE_INFINITY;
  private realignments = 0;
  private wasHeld = false;
  /**
   * Held while a new answer's run is searched for (StallWatch.placingRunAt: from the filter's first
   * read of it to the search's end, 100-150 ms after its echo arrives), then heard again at the
   * reading found, or as placed (holdThisFrame, endRunHold). Run on as placed, the filter learnt a
   * run begun a sample off there, and SpeexDSP, converged, took hundreds of ms to cancel as deeply
   * once the reading moved: ERLE 200-500 ms after the echo arrived 15-19 dB a sample off and 8-11
   * two and a half, against 29-33 begun on the sample (office and far rooms, 0 dB). The frames held
   * are held back from the VAD too and handed on as heard again (deferred-frames.ts).
   * `runHoldOver`: the ring filled first (kept until the next run is placed: runHeldThroughout).
   */
  private heldForRun = false;
  private runHoldOver = false;
  /** A new answer's run is being placed (holdThisFrame's `placingRun`). */
  private placing = false;
  /** Double-talk frames in a row up to the last, and the last frame such a run had lasted DOUBLE_TALK_RUN (see there). */
  private doubleTalkRun = 0;
  private doubleTalkAt = Number.NEGATIVE_INFINITY;
  /** What of the microphone up to frame `frame` the search for a missing echo found unexplained (see unexplained). */
  private readonly unexplainedFound = { frame: Number.NEGATIVE_INFINITY, share: 0, frames: 0, mayStart: false };
  /** The last distrust came with double talk (see forgetAfter). */
  private doubleTalkDistrust = false;
  /** The hold under way began with the echo back already (see judge, ECHO_BACK_EARLIER). */
  private echoBackHold = false;
  /** The frame the filter, trusted again after a long distrust, last forgot its leak at, and the leak it had (see readingMoved). */
  private forgotLeakAt: { frame: number; db: number } | null = null;
  /** The filter was proven (vouched for to the gate) when last distrusted. */
  private provenAtDistrust = false;

  /** The frames held, heard again in order as a hold ends (FilterTrustDeps.hearAgain's `held`). */
  private readonly hearHeldAgain = (frame: Int16Array, readFrom: number): void => this.d.hearAgain(frame, readFrom, undefined, true);

  constructor(private readonly d: FilterTrustDeps) {
    // Held while it searches, the filter can wait for a blurred move to be refined (echo-realign.ts).
    this.realigner = new EchoRealigner(d.frameSamples, true, CLEARLY_BETTER);
    this.lateEcho = new LateEchoProbe(d.frameSamples, d.reference, d.response);
  }

  get trusted(): boolean {
    return this.trustedNow;
  }

  /**
   * Whether the filter was held for the whole of the last new answer's run's search (or of this one's
   * so far): the hold's ring did not fill first (runHoldOver), so it never ran on the run as placed. A
   * run found surely is vouched for at once only then (run-proof.ts, deferred-frames.ts).
   */
  get runHeldThroughout(): boolean {
    return !this.runHoldOver;
  }

  /** Whether the filter is held for a new answer's run now (heldForRun): read after holdThisFrame, and again at the frame's end. */
  get holdingForRun(): boolean {
    return this.heldForRun;
  }

  /** Times the echo was found again at another reading after its delay jumped. */
  get realignedJumps(): number {
    return this.realignments;
  }

  /**
   * At a frame's start: whether the filter is held (not run: it keeps the room as it knew it,
   * while the echo is searched for, or a new answer's run: `placingRun`). A hold just over with the
   * echo where it was placed (or never found) has the filter hear the frames it missed, as placed.
   */
  holdThisFrame(placingRun = false): boolean {
    const searching = !this.trustedNow && this.realigner.holding;
    // Held while a new answer's run is searched for, as long as the ring keeps the frames held (see heldForRun).
    if (!placingRun) {
      this.heldForRun = false;
      this.placing = false;
    } else {
      if (!this.placing) this.runHoldOver = false;
      this.placing = true;
      if (!this.runHoldOver) {
        this.heldForRun = this.realigner.canHoldMore(1);
        this.runHoldOver = !this.heldForRun;
      }
    }
    const held = searching || this.heldForRun;
    if (!held && this.wasHeld) this.realigner.replayHeld(this.hearHeldAgain);
    this.wasHeld = held;
    return held;
  }

  /** Held for a new answer's run (heldForRun), the reading moved by `move`: the frames held are heard there, and the hold is over. Whether there was one. */
  private endRunHold(move: number): boolean {
    if (!this.heldForRun) return false;
    this.realigner.replayHeld(this.hearHeldAgain, move);
    this.heldForRun = false;
    this.wasHeld = false;
    return true;
  }

  /** Keeps a microphone frame and where the filter reads the reference for it (`held`: the filter did not hear it). */
  record(mic: Int16Array, playFrom: number, held: boolean): void {
    this.realigner.record(mic, playFrom, held);
    this.lateEcho.record(mic, playFrom, held);
  }

  /** Whether, in frame `frame` (judged), the filter expected echo far over the microphone and the noise: the echo it expects did not come. */
  echoMissingIn(frame: number): boolean {
    return this.estimateOverMicAt === frame;
  }

  /** Whether the gate may vouch for the filter as trusted (see PROVEN_BELOW). */
  proven(frame: number): boolean {
    return frame - this.unprovenSince >= PROOF_FRAMES;
  }

  /** Whether, at `frame`, the filter was distrusted within BRIDGE_DISTRUST_FRAMES, trusted and proven before it. */
  freshDistrust(frame: number): boolean {
    return !this.trustedNow && this.provenAtDistrust && frame - this.distrustedSince < BRIDGE_DISTRUST_FRAMES;
  }

  /**
   * The frames the filter heard again as its hold for a new answer's run ended (deferred-frames.ts),
   * trusted, ended in `frames` of the user's voice in a row (the run found surely, the output over
   * what the gate lets pass alone), at `frame`: a double-talk run. The user spoke from the run's first
   * words (the echo 6 dB under them, near room): the first live frames, the filter's output within a
   * dB of the microphone, distrusted it with no double-talk run behind them, and the user's word was
   * held to the room's bound (544 ms late).
   */
  heardDoubleTalk(frame: number, frames: number): void {
    if (!this.trustedNow) return;
    this.doubleTalkRun = frames;
    if (frames >= DOUBLE_TALK_RUN) this.doubleTalkAt = frame;
  }

  /** Whether, at `frame`, a distrust that came as the user spoke over the echo is young enough (DOUBLE_TALK_GATE_FRAMES) for the gate to go on trusting the filter's residual. */
  doubleTalkGrace(frame: number): boolean {
    return !this.trustedNow && this.doubleTalkDistrust && frame - this.distrustedSince < DOUBLE_TALK_GATE_FRAMES;
  }

  /**
   * The share of the microphone in the `frames` frames up to `frame` that the search for a missing
   * echo found no reading of the reference explains (EchoRealigner.unexplained): the window (100
   * ms) of a search run at `frame` that left the filter distrusted. `mayStart`: soon enough
   * after the distrust that an echo come back beyond the searched delays cannot be in the window
   * (EchoRealigner.unexplainedIsFresh); later the share only carries a word on. Read at `frame`'s end.
   */
  get unexplained(): { readonly frame: number; readonly share: number; readonly frames: number; readonly mayStart: boolean } {
    return this.unexplainedFound;
  }

  /** How long the distrust must last to forget the bound and leak. */
  private get forgetAfter(): number {
    return this.doubleTalkDistrust ? DOUBLE_TALK_FORGET_AFTER_FRAMES : FORGET_AFTER_FRAMES;
  }

  /** A frame the filter ran on (frame index `frame`): whether the filter is trusted now. */
  judge(frame: number, f: FilterFrame): boolean {
    const wasTrusted = this.trustedNow;
    const trusted = this.weigh(frame, f);
    // The echo went missing just before the distrust, and the distrust came as it came back late
    // (a short underrun in a pause of the answer: the missing echo's frames stood under what passes
    // the gate alone and said nothing): a jump as well. Left to relearn, the filter forgot the
    // room's leak 100 ms on: a barge-in 300 ms after a 30 ms underrun 3 s into a first answer,
    // near room at 0 dB, was missed.
    if (wasTrusted && !trusted && f.locked && frame - this.echoMissingAt <= JUMP_WATCH_FRAMES) this.holdForJump(true);
    // The echo gone missing soon after the distrust (the filter's estimate far over the
    // microphone: the client ran dry) is a jump: the filter is held and the echo searched for.
    // A filter that merely lags (a drifting clock: 100 ppm lost 8 dB of ERLE to holds) or that
    // adapted to the user (barge-ins just after a stall came 1-2 s late) is not held.
    if (this.jumpWatchFrames > 0) {
      this.jumpWatchFrames--;
      if (!trusted && f.estimateEnergy > f.micEnergy * ECHO_MISSING_BELOW_ESTIMATE) this.holdForJump(false);
    }
    return trusted;
  }

  /**
   * At a frame's end, while distrusted (the filter ran, or was held): forgets the path bound once
   * the distrust has lasted (true when it did so now), and searches where the echo went when due.
   * A 300 ms underrun 3 s into a first answer started a turn in 8 of 12 rooms and levels when the
   * old bound was kept. While held the bound waits: the search may yet find the echo where the
   * room's bound still holds. So it does while a new answer's run is searched for where the client
   * plays it (`placingRun`, StallWatch.placingRun): a run begun 13 samples late distrusted the
   * filter for 110 ms before the search found it, the room was forgotten meanwhile (the bound, and
   * for a second the spectral model's word), and a barge-in 1 s into it over echo 6 dB under the
   * user was heard 544 ms late (run shifts at -6 dB, 4 rooms x 8 offsets x 2 barge-ins: later than 100 ms 2 -> 0 of 64).
   */
  endFrame(frame: number, filterRan: boolean, held: boolean, micEnergy: number, noiseFloor: number, placingRun = false): boolean {
    if (this.trustedNow && filterRan && !placingRun) {
      const move = this.lateEcho.step(micEnergy > noiseFloor * REALIGN_LOUD);
      if (move !== 0) this.lateEchoFound(frame, move);
    }
    if (!(filterRan || held) || this.trustedNow) return false;
    const distrustedFor = frame - this.distrustedSince;
    if ((held || placingRun) && distrustedFor === this.forgetAfter) this.forgetBoundWhenRun = true;
    let forgot = false;
    if (filterRan && !placingRun && !this.boundForgotten && (distrustedFor === this.forgetAfter || this.forgetBoundWhenRun)) {
      this.d.pathBound.forget();
      this.boundForgotten = true;
      forgot = true;
    }
    if (this.realigner.due && micEnergy > noiseFloor * REALIGN_LOUD) {
      this.realign(frame);
      if (!this.trustedNow) Object.assign(this.unexplainedFound, { frame, share: this.realigner.unexplained, frames: this.realigner.windowFrames, mayStart: this.realigner.unexplainedIsFresh });
    }
    return forgot;
  }

  /**
   * The reference is read `move` samples later from the next frame on: a stall's silence was found
   * played through, in whole or in part (stall-watch.ts). A filter distrusted meanwhile was reading
   * the echo's new place wrong, not facing a new room: as after a realignment it hears the frames
   * kept again at the new reading, keeps the leak it had, and the search for the echo ends. (A part
   * played through is found only once 100 ms of the echo are back; by then the filter, reading the
   * run as placed, had been distrusted and held, and barge-ins after 50 ms parts were missed.)
   * Only the last `frames` are heard again: those since the silence's echo began. The echo before
   * it came where it was placed, and replayed moved it taught the filter a room that is not there
   * (a silence the client ran dry 34 samples longer than placed: the filter cancelled nothing after,
   * and barge-ins 600 ms later were missed). `keepLeak` false (a move of a few samples: fine-align.ts):
   * the filter, run on meanwhile, takes a few hundred ms to cancel as before, and the leak it had let
   * the echo start a turn; the leak it has now is kept.
   */
  readingMoved(frame: number, move: number, frames: number, keepLeak = true): void {
    if (this.endRunHold(move)) frames = 0;
    // Trusted again this very frame after a long distrust, its leak forgotten as for a new room:
    // the move found says it was the reading, not the room. Traced: near room, a 200 ms stall the
    // client ran dry 5 samples longer, 1 s into a second answer: the fine move came in the frame
    // the filter was trusted again, the leak stayed at +10 dB, and a barge-in 600 ms after the
    // silence was heard 1.9 s late.
    const justForgot = this.trustedNow && this.forgotLeakAt?.frame === frame;
    if (justForgot) this.d.leak.restore(this.forgotLeakAt!.db);
    // Found before the filter showed it (still trusted): a distrust as it settles is the move's,
    // not a new room's (see MOVE_SETTLE_FRAMES). Taken for a new one, a small room's filter forgot
    // its leak 110 ms on, and a barge-in 600 ms after a 200 ms silence played 100 ms through was
    // heard 960 ms late.
    if (this.trustedNow) {
      this.movedAt = frame;
      this.realigned = true;
      return;
    }
    this.realigner.endSearch();
    this.heardAgainAt(frame, move, frames, keepLeak);
    // Found where the echo plays, the filter is the room's again: trusted at once, as when the
    // search finds the echo where it was placed (realign). Left to earn it, the filter got no
    // evidence while the user spoke as the echo came back (an output within 10% of the microphone
    // says nothing), and the gate stood on the room's bound, forgotten by then: barge-ins 600 ms
    // after a 30-200 ms stall 300 ms into a second answer, far room, were 960-1664 ms late.
    // bench:echo longer-stall rows: later than 100 ms 12 -> 4 of 96, missed 1 -> 0; a
    // partial-stall barge-in 1664 -> 32 ms; no turn more. Wrong after all, the filter adds energy
    // and is distrusted again within DISTRUST_AFTER frames.
    this.trustedNow = true;
    this.evidence = TRUST_AFTER;
    this.movedAt = frame;
  }

  /**
   * The reading moved by `move` while the filter was distrusted: it hears the last `frames` kept
   * again there, keeps the leak it had (`keepLeak`), and is the room's again, a distrust counted
   * from here (the bound is forgotten only if it goes on). `gapTap`: see EchoRealigner.replay.
   */
  private heardAgainAt(frame: number, move: number, frames: number, keepLeak: boolean, gapTap: number | null = null): void {
    this.realigner.replay(move, this.d.hearAgain, frames, gapTap);
    if (keepLeak && this.leakAtDistrust !== null) this.d.leak.restore(this.leakAtDistrust);
    this.realigned = true;
    this.distrustedSince = frame;
    this.forgetBoundWhenRun = false;
    // The echo had moved: no double talk to give the gate grace for.
    this.doubleTalkDistrust = false;
  }

  private weigh(frame: number, f: FilterFrame): boolean {
    const { micEnergy, outputEnergy, estimateEnergy } = f;
    const doubleTalk = this.trustedNow && f.passesAlone > 0 && outputEnergy > f.passesAlone && outputEnergy < micEnergy * ALIGNED_BELOW && estimateEnergy >= micEnergy * EVIDENCE_SHARE;
    this.doubleTalkRun = doubleTalk ? this.doubleTalkRun + 1 : 0;
    if (this.doubleTalkRun >= DOUBLE_TALK_RUN) this.doubleTalkAt = frame;
    // Echo predicted where none came, seen before the frames that say nothing are set aside (see judge).
    if (estimateEnergy > f.noiseFloor * NOISE_EVIDENCE_ABOVE && estimateEnergy > micEnergy * ECHO_GONE_BELOW_ESTIMATE) {
      this.estimateOverMicAt = frame;
      if (this.trustedNow && f.locked) {
        this.echoMissingAt = frame;
        // A new sound predicted where none came: the echo may come late, the filter none the wiser.
        if (f.estimateRising) this.lateEcho.start(frame);
      }
    }
    if (micEnergy <= Math.max(ACTIVE_ENERGY, f.passesAlone)) return this.trustedNow;
    // Between the two (a filter that removes little: the echo near the noise) says nothing.
    if (outputEnergy >= micEnergy * ALIGNED_BELOW && outputEnergy <= micEnergy * MISALIGNED_ABOVE) return this.trustedNow;
    if (estimateEnergy < micEnergy * EVIDENCE_SHARE) return this.trustedNow;
    if (this.trustedNow && outputEnergy > micEnergy * MISALIGNED_ABOVE && chanceCorrelation(f)) return this.trustedNow;
    const nearFloor = f.noiseFloor * NOISE_EVIDENCE_ABOVE;
    // Near the noise floor with little estimated either: no echo there to be cancelled or not.
    // As a run restarts after a stall, its first audio enters the filter's taps ahead of the
    // echo and lifts the output a dB over a floor-level microphone: two such frames distrusted a
    // filter that was right, the room's bound and leak were forgotten, and barge-ins in the next
    // second were missed. Echo predicted where none came (the client ran dry) stands well above it.
    if (micEnergy < nearFloor && estimateEnergy < nearFloor) return this.trustedNow;
    const aligned = outputEnergy < micEnergy * ALIGNED_BELOW;
    const cancelsWell = outputEnergy < micEnergy * PROVEN_BELOW;
    if (this.trustedNow && cancelsWell) this.unprovenSince = Number.NEGATIVE_INFINITY;
    this.wellInRun = aligned && this.evidence > 0 ? this.wellInRun || cancelsWell : cancelsWell;
    this.evidence = aligned ? Math.max(1, this.evidence + 1) : Math.min(-1, this.evidence - 1);
    if (this.evidence >= TRUST_AFTER && !this.trustedNow) {
      this.trustedNow = true;
      if (!this.realigned && !this.wellInRun && !this.doubleTalkDistrust && frame - this.distrustedSince < this.forgetAfter) this.unprovenSince = frame;
      // Relearning after a long distrust (a delay jump): the leak learnt from the filter as it
      // was says nothing of it now.
      if (frame - this.distrustedSince >= this.forgetAfter && !this.realigned) {
        this.forgotLeakAt = { frame, db: this.d.leak.db };
        this.d.leak.forget(this.d.pathBound.boundDb);
      }
      this.realigned = false;
    } else if (this.evidence <= -DISTRUST_AFTER && this.trustedNow) {
      this.trustedNow = false;
      this.provenAtDistrust = this.proven(frame);
      this.distrustedSince = frame;
      // Distrusted as it settles after a move (see MOVE_SETTLE_FRAMES), the filter is still the one realigned.
      this.realigned = this.realigned && frame - this.movedAt <= MOVE_SETTLE_FRAMES;
      this.doubleTalkDistrust = frame - this.doubleTalkAt <= DOUBLE_TALK_WITHIN;
      this.boundForgotten = false;
      this.forgetBoundWhenRun = false;
      this.lateEcho.stop();
      // The room as the filter knew it, kept to look for the echo with should it turn out to have
      // gone missing in the next frames (jumpWatchFrames: the client ran dry). Only once the delay
      // is locked (a young filter's response is no room to search with).
      this.leakAtDistrust = null;
      if (f.locked) {
        this.shadow.load(this.d.response());
        this.leakAtDistrust = this.d.leak.db;
        this.jumpWatchFrames = JUMP_WATCH_FRAMES;
      }
    }
    return this.trustedNow;
  }

  /**
   * The probe found the echo come `move` samples off while the filter stayed trusted (a short
   * underrun in a pause: late-echo-probe.ts): the reference is read there, the filter hears the
   * frames since the probe began again at that reading, and a distrust as it settles is the move's.
   */
  private lateEchoFound(frame: number, move: number, frames = 0): void {
    this.d.clock.skipStall(move);
    if (!this.endRunHold(move)) this.lateEcho.replay(move, this.d.hearAgain, frame, frames);
    this.movedAt = frame;
    this.realigned = true;
    this.realignments++;
  }

  /**
   * At frame `frame`'s end, the early filter found the echo come `move` samples off (negative:
   * later) `frames` frames ago (early-echo.ts): taken as the probe's while the filter is trusted,
   * and as a stall's move found while it is distrusted (readingMoved: the frames since heard again
   * there, trusted at once, any search of its own over).
   */
  echoFoundLater(frame: number, move: number, frames: number): void {
    if (this.trustedNow) return this.lateEchoFound(frame, move, frames);
    this.d.clock.skipStall(move);
    this.readingMoved(frame, move, frames);
    this.realignments++;
  }

  /** The echo jumped: the filter is held and the echo searched for (`echoBack`: it is back already, and may have come early). */
  private holdForJump(echoBack: boolean): void {
    this.realigner.distrusted();
    this.jumpWatchFrames = 0;
    this.echoBackHold = echoBack;
  }

  /** Looks for the echo at another reading of the reference; found, the reference is read there and the filter keeps its leak. */
  private realign(frame: number): void {
    const reference = this.d.reference;
    // Back already when the hold began, the echo may as well have come early (see ECHO_BACK_EARLIER).
    const range = this.echoBackHold ? { min: -MOST_LATER, max: ECHO_BACK_EARLIER } : undefined;
    const held = this.realigner.holding; // not yet run on as placed over the frames since the jump
    const move = this.realigner.search((mic, from, minShift, maxShift) => this.shadow.bestShift(mic, reference, from, minShift, maxShift), range);
    if (move === null) {
      // The echo is where it was placed: the filter, held as it was, is aligned.
      this.trustedNow = true;
      this.evidence = TRUST_AFTER;
      return;
    }
    if (move === 0) return;
    this.d.clock.skipStall(move);
    // The filter heard (or was held through) the last 400 ms against the wrong reading: it hears
    // them again as they really came, so its history is the echo's and its next frame follows on.
    // Only the frames since the jump (it distrusted the filter at once: the evidence's frames and
    // every one since). Those before it came where they were read, and the filter had heard them
    // so: replayed at the new reading they taught it a room that is not there (after a 300 ms
    // underrun it then cancelled 10-17 dB where it had cancelled 25-30, and the echo started turns).
    // A move later is an underrun's gap: the client played nothing in it, and the frames heard
    // again read silence there (EchoRealigner.replay, placed by the filter's main tap). Read at
    // the new reading, they held answer that had played before the gap: the filter learnt an
    // echo gone missing, then cancelled 13-17 dB where the leak it kept said 48, and a small
    // room's echo at +6 dB started turns (bench:echo shifted-underruns: 4 of 4). Found after the
    // hold ran out (a gap of 300 ms), the filter has heard those frames as placed and run on, an
    // echo gone missing under loud reference: SpeexDSP resets itself (its leak forgotten with it),
    // unless the gap read as silence leaves it just short of that, cancelling 3-8 dB with the leak
    // it kept (-41 dB): the echo started a turn (small room, +6 dB, 7 s into a first answer).
    this.heardAgainAt(frame, move, frame - this.distrustedSince + DISTRUST_AFTER, true, held ? mainTap(this.d.response()) : null);
    this.realignments++;
  }
}

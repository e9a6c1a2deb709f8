// One session's echo canceller: microphone audio (16 kHz, on the client's clock) in,
// the same audio minus the assistant's echo out, plus an onset gate for the turn detector.
//
// Alignment. The reference is on the server's wall clock; the microphone on the client's.
// ReferenceClock (reference-clock.ts) places each microphone frame on the reference: by the
// arrivals of its chunks (jitter only delays a chunk), fixed for each run of the assistant's
// playback, read later or earlier as a loudspeaker on another clock drifts (from the filter's main
// tap, through a fractional delay; ±20 to ±300 ppm followed in bench:echo's clock rows). The delay
// estimator (delay-estimator.ts) finds where in the reference the echo comes from. Before it, the
// filter starts at delay 0 and spans `filterMs` (echoes up to filterMs - FILTER_TAIL_MS late); it
// moves (to the estimate less a margin) only when the echo is outside that span: a move throws
// away what it has learnt. After a move, or a long distrust (below), the leak estimate
// starts over from the room's uncancelled echo. A stall's silence that the client played
// through (it buffered more than the server models) is found by the filter's own response and
// read past (stall-check.ts), as is the part of one a lagging client played through
// (stall-watch.ts); after an underrun the server never saw, the echo is searched for
// at every delay with that response and read where it is found (echo-realign.ts). A new answer's
// first frames wait while its run is searched for, handed on as cancelled where found (deferred-frames.ts).
//
// Cancellation is SpeexDSP's (speex.ts): MDF adaptive filter, then its residual echo
// suppressor, used only while reference audio can still echo (otherwise the linear output,
// which is the microphone itself once the reference is quiet). Without libspeexdsp the audio
// passes unchanged and only the gate acts.
//
// The onset gate. While the reference is audible, every 10 ms frame records the output energy
// and the residual echo to expect: the loudest reference energy that can echo in it, times the
// leak, a high percentile of output/reference over the echo (echo-leak.ts). A VAD frame may start
// speech only if its output energy exceeds that estimate by `onsetMarginDb` (12 dB), and a
// candidate the gate let start goes on above `continueMarginDb` (6 dB): a word's quieter end.
// That estimate holds only while the filter is aligned with the echo. When the client runs dry
// and plays the rest of an answer later (a network stall longer than the audio it had queued),
// the echo's delay jumps, the filter's estimate no longer matches it, and the echo passes whole:
// FilterTrust watches for that (filter-trust.ts: the filter adding energy instead of removing
// it), and holds the filter while the echo is searched for at another delay; while the
// filter is distrusted an onset must stand above the loudest echo the room can return at all,
// from the microphone alone (EchoPathBound, echo-path-bound.ts). A quiet echo gives the filter no
// such evidence: the bound sees the move itself (push) and the envelope model below stands down
// (300 ms underruns, echo -58 to -46 dBFS: echo-only turns 12 -> 5 in 16 runs). The bound caps the leak:
// a headset client, whose microphone hears no echo, shows it within about 1.3 s of speech, so
// its barge-ins are not held back while the leak would still be learning. Where the microphone
// hears no echo path and the bound says any echo is faint (under -50 dBFS), the bound, a worst
// case, needs a smaller margin than the leak's percentile: speech clear of it by 3 dB (1 dB going
// on) starts whatever the leak says, and may be bridged (a headset's leak sits at its bound: with
// the 12 dB margin over it 4-6 of 100 one-word barge-ins were missed in bench:conversation).
// In the first seconds, before the filter has learnt the room, the gate has a second way to let
// the user's voice through: the microphone clearly above the echo's loudness as EchoEnvelope
// predicts it (echo-envelope.ts: learnt from 10 ms energies in about a second, standing down
// after a delay jump). A third: the same model band by band (EchoSpectrum, echo-spectrum.ts),
// the user clear of the echo in bands holding 30% of the microphone's energy (15% going on): at
// 0 dB the user adds ~3 dB to the echo's loudness, short of the envelope's 9 dB, but fills bands
// the echo leaves quiet. A candidate let through clearly may carry on through a few frames
// it cannot tell from the echo (OnsetBridge, onset-bridge.ts; mayBridge), where the echo is
// well modelled: a word that sinks into 0 dB echo before the minimum speech. A fourth, from about
// 0.8-1.0 s until SpeexDSP has learnt the room: what a fast-converging filter (per-bin RLS at a
// delay found by 0.8 s: early-filter.ts, early-echo.ts) leaves, 9 dB over the residual it expects;
// it finds an echo come up to 55 ms late itself, and the reading moves there (echoFoundLater).
// From then on it only witnesses: the frames it explains SpeexDSP's filter starts nothing in (a
// trusted filter misfits now and then mid-sound).
// At the echo's onsets a trusted filter leaves more than its leak says: speech must stand 6 dB
// more over it there to start (estimate-rise.ts).
// The evidence of each frame, and the judgement over a VAD frame's span: onset-gate.ts.
// Measured on simulated rooms (test/audio/echo-canceller.test.ts, bench:echo) the echo alone
// never passes; the cost is barge-ins over loud echo in an answer's first second.
import { DelayLock } from './delay-lock.js';
import { mainTap } from './drift-tracker.js';
import { EchoLagMeter } from './echo-lag-meter.js';
import { followNoiseFloor } from './noise-floor.js';
import { EchoPathBound, faintBoundEcho } from './echo-path-bound.js';
import { EchoAudibility } from './echo-audibility.js';
import { EchoModels } from './echo-models.js';
import { OnsetGate } from './onset-gate.js';
import type { EchoFrameTrace } from './frame-trace.js';
import type { EchoCancellerOptions, ReadingMoveCause } from './canceller-options.js';
import { ECHO_BLOCK_SAMPLES, type EchoReference } from './reference.js';
import { ReferenceClock } from './reference-clock.js';
import { LockHistory } from './lock-history.js';
import { FilterRehearing } from './filter-rehearing.js';
import { SpeexEchoCanceller } from './speex.js';
import { STALL_CHECK_MAX_MS } from './stall-check.js';
import { RunProof } from './run-proof.js';
import { StallWatch } from './stall-watch.js';
import { EchoLeak } from './echo-leak.js';
import { FilterTrust } from './filter-trust.js';
import { EchoSeconds } from './echo-seconds.js';
import { EstimateRise } from './estimate-rise.js';
import { DeferredFrames } from './deferred-frames.js';
import { FrameFraming } from './frame-framing.js';
import { echoEstimateEnergy, gateEnergy, isSilent, meanSquare, TiltedEnergies } from './frame-energy.js';

const SAMPLES_PER_MS = 16;
const FRAME = ECHO_BLOCK_SAMPLES;
const FRAME_MS = FRAME / SAMPLES_PER_MS;
/** A trusted filter's leak at or under which candidates may be bridged on its word (see filterCancels), dB. */
const BRIDGE_LEAK_DB = -30;
/** Reference energy (mean square, int16 units) below which it is silence (~ -70 dBFS). */
const ACTIVE_ENERGY = 10;
/** How far before its position a fractional read of the reference reaches, samples (fractional-delay.ts's span, rounded up). */
const FRACTIONAL_REACH = 8;
/** The room tail the filter must span after the echo's direct path, ms. */
const FILTER_TAIL_MS = 120;
/** Microphone frames kept until the delay is first found, heard again at it then (lock-history.ts). */
const LOCK_HISTORY_FRAMES = 150;
/** After this many frames without reference (300 ms) the leak estimate is raised when it returns (EchoLeak.restart). */
const RESTART_AFTER_FRAMES = 30;
/** The delay is not estimated once the reference has been silent this long (frames: 500 ms); see updateDelay. */
const ESTIMATE_AFTER_SILENT_FRAMES = 50;
/** A trusted filter cancelling this much (dB) that estimates no more echo than 6 dB over the microphone hears no echo there. */
const HEARS_NO_ECHO_LEAK_DB = -6;
const HEARS_NO_ECHO_ABOVE = 10 ** (6 / 10);

export type { EchoCancellerOptions, ReadingMoveCause } from './canceller-options.js';
export type { EchoFrameTrace } from './frame-trace.js';

export class EchoCanceller {
  private readonly reference: EchoReference;
  private readonly speex: SpeexEchoCanceller | null;
  private readonly delayLock: DelayLock;
  private readonly pathBound: EchoPathBound;
  /** The echo models (envelope and spectral) and what they may vouch for (echo-models.ts). */
  private readonly models: EchoModels;
  /** Whether the client really ran dry in the silence before the latest run (stall-watch.ts; null: not checked). */
  private readonly stallWatch: StallWatch | null;
  /** Whether the adaptive filter is aligned with the echo, and the hold and search when its delay jumped (filter-trust.ts). */
  private readonly trust: FilterTrust;
  /** The filter run again on frames heard before (filter-rehearing.ts; with SpeexDSP only). */
  private readonly rehearing: FilterRehearing | null;
  /** SpeexDSP's own filter resets seen (SpeexEchoCanceller.resets). */
  private speexResets = 0;
  /** What the microphone heard before the first lock (with SpeexDSP only; dropped at it). */
  private lockHistory: LockHistory | null;
  private readonly filterBlocks: number;
  private readonly maxDelayBlocks: number;
  private readonly marginMs: number;
  private readonly onsetMargin: number;
  private readonly onsetMarginDb: number;
  private readonly onReadingMoved: ((cause: ReadingMoveCause) => void) | undefined;
  private readonly onFrame: ((frame: EchoFrameTrace) => void) | undefined;
  private readonly continueMargin: number;
  private bypassFlag = false;
  private readonly framing = new FrameFraming();
  /** processFrame, bound once (not a closure per chunk). */
  private readonly processEach = (frame: Int16Array): void => this.processFrame(frame);
  private readonly mic = new Int16Array(FRAME);
  private readonly play = new Int16Array(FRAME);
  private readonly linearOut = new Int16Array(FRAME);
  /** Pre-emphasised energies of the microphone and the linear output, for the filter's alignment evidence (FilterTrust). */
  private readonly tilted = new TiltedEnergies();
  private readonly estimateRise = new EstimateRise();
  private readonly out = new Int16Array(FRAME);
  /** A new answer's first frames, held back while the filter is held for its run (deferred-frames.ts). */
  private readonly deferred: DeferredFrames | null;
  // Clocks: where each frame's echo comes from in the reference (ReferenceClock); output frames emitted.
  private readonly clock: ReferenceClock;
  /** Where the echo is against the reference, for the drift (echo-lag-meter.ts); null without the filter. */
  private readonly lagMeter: EchoLagMeter | null;
  /** The filter's impulse response as last read (filterResponse). */
  private impulse: Int32Array | undefined;
  private frames = 0;
  // Delay.
  /** Where the adaptive filter starts reading the reference, ms before the frame. */
  private bulkDelayMs = 0;
  /** The echo's delay (the last accepted estimate: delay-lock.ts), ms; meaningful once locked. */
  private get echoDelayMs(): number {
    return this.delayLock.delayMs;
  }
  private get locked(): boolean {
    return this.delayLock.locked;
  }
  // Gate.
  /** The residual echo to expect under the reference (echo-leak.ts). */
  private readonly leak = new EchoLeak();
  private inactiveFrames = 0;
  /** Whether the filter has shown it cancels a new answer's run (run-proof.ts). */
  private readonly runProof: RunProof;
  /** Frames in a row whose reference for the filter (`play`) was silence: see processFrame. */
  private quietPlayFrames = 0;
  /** The last frame was held (FilterTrust.holdThisFrame): the suppressor did not hear it. */
  private heldLast = false;
  /** Whether the microphone can hear the assistant at all (echo-audibility.ts). */
  private readonly audibility = new EchoAudibility();
  private noEchoPath = false;
  /** The evidence of every frame, and the onset gate's judgement of it (onset-gate.ts). */
  private readonly gate: OnsetGate;
  /** The microphone's noise floor (mean square, int16 units). */
  private noiseFloor = Number.POSITIVE_INFINITY;
  /** Per-second statistics: seconds of echo, and their ERLE (echo-seconds.ts). */
  private readonly seconds: EchoSeconds;

  constructor(o: EchoCancellerOptions) {
    this.reference = o.reference;
    const filterMs = o.filterMs ?? 300;
    this.filterBlocks = Math.round(filterMs / FRAME_MS);
    this.maxDelayBlocks = Math.round((o.maxDelayMs ?? 500) / FRAME_MS);
    this.marginMs = o.delayMarginMs ?? 40;
    this.onsetMarginDb = o.onsetMarginDb ?? 12;
    this.onsetMargin = 10 ** (this.onsetMarginDb / 10);
    this.continueMargin = 10 ** ((o.continueMarginDb ?? 6) / 10);
    this.runProof = new RunProof(this.onsetMargin, this.continueMargin);
    this.gate = new OnsetGate(this.onsetMargin, this.continueMargin);
    this.seconds = new EchoSeconds(this.onsetMargin, o.onEchoWindow);
    this.onReadingMoved = o.onReadingMoved;
    this.onFrame = o.onFrame;
    this.stallWatch = (o.checkStalls ?? true) ? new StallWatch(this.reference, FRAME) : null;
    this.delayLock = new DelayLock(o.maxDelayMs ?? 500);
    this.pathBound = new EchoPathBound(this.reference, this.maxDelayBlocks);
    this.models = new EchoModels(this.reference, o.maxDelayMs ?? 500, o.linear);
    this.clock = new ReferenceClock(this.reference, SAMPLES_PER_MS, FRAME, STALL_CHECK_MAX_MS * SAMPLES_PER_MS);
    this.lagMeter = o.linear ? new EchoLagMeter(FRAME, Math.round(filterMs * SAMPLES_PER_MS)) : null;
    this.speex = o.linear
      ? new SpeexEchoCanceller({ frameSize: FRAME, filterLength: Math.round(filterMs * SAMPLES_PER_MS), sampleRate: 16000, echoSuppressDb: -40, echoSuppressActiveDb: -15, noiseSuppressDb: -6 })
      : null;
    this.lockHistory = this.speex ? new LockHistory(FRAME, LOCK_HISTORY_FRAMES) : null;
    const learning = { leak: this.leak, spanBlocks: this.filterBlocks, marginBlocks: Math.round(this.marginMs / FRAME_MS), activeEnergy: ACTIVE_ENERGY, onsetMarginDb: this.onsetMarginDb };
    this.rehearing = this.speex ? new FilterRehearing(this.reference, this.speex, learning) : null;
    const { speex, estimateRise, tilted, gate, onsetMargin, continueMargin, framing, reference, clock, leak, pathBound } = this;
    const heardDoubleTalk = (frames: number): void => this.trust.heardDoubleTalk(this.frames, frames);
    this.deferred = speex ? new DeferredFrames({ speex, estimateRise, tilted, gate, onsetMargin, continueMargin, emit: (frame) => framing.emit(frame), heardDoubleTalk }) : null;
    this.trust = new FilterTrust({ frameSamples: FRAME, reference, clock, leak, pathBound, response: () => this.filterResponse(), hearAgain: (frame, readFrom, silentBefore, held) => this.hearAgain(frame, readFrom, silentBefore, held) });
  }

  /** The delay the filter is aligned to (its start + the margin), ms; null before the first estimate. */
  get delayMs(): number | null {
    return this.locked ? this.echoDelayMs : null;
  }

  /** False while the microphone hears no echo worth cancelling (a headset): the filter is not run. */
  get echoPathAudible(): boolean {
    return !this.noEchoPath;
  }

  /** Stalls the reference placed that the client was found to have played through (stall-check.ts). */
  get skippedStalls(): number {
    return this.stallWatch?.skipped ?? 0;
  }

  /** Times the echo was found again at another reading after its delay jumped (echo-realign.ts). */
  get realignedJumps(): number {
    return this.trust.realignedJumps;
  }

  /** The loudspeaker's clock against the microphone's, as compensated (ppm, drift-tracker.ts; 0 when none). */
  get driftRatePpm(): number {
    return this.clock.driftRate * 1e6;
  }

  get lastDelayEstimate(): { delayMs: number; confidence: number } | null {
    return this.delayLock.last;
  }

  /** Output samples emitted so far (input samples less the partial frame and the frames held back: deferred-frames.ts). */
  get outputSamples(): number {
    return this.frames * FRAME - this.heldBackSamples;
  }

  /** Samples held back now (a new answer's first frames, while its run is searched for: deferred-frames.ts). */
  get heldBackSamples(): number {
    return (this.deferred?.pending ?? 0) * FRAME;
  }

  /** Off: samples pass unchanged (still framed, so the sample clock stays continuous) and the gate opens. */
  set bypass(on: boolean) {
    this.bypassFlag = on;
  }

  /**
   * Microphone samples that arrived at `arrivalMs` -> cancelled samples (whole 10 ms frames; the rest
   * waits, as do a new answer's first frames), a view of a buffer the next call reuses: copy what must be kept.
   */
  process(samples: Float32Array, arrivalMs: number): Float32Array {
    this.clock.arrived(samples.length, arrivalMs);
    return this.framing.frames(samples, this.deferred?.pending ?? 0, this.processEach);
  }

  /**
   * The frames held back (deferred-frames.ts), handed on now as they came: the input ends here
   * for now (a manual commit). A view of the buffer process() returns, reused as it is.
   */
  flush(): Float32Array {
    this.framing.begin(this.deferred?.pending ?? 0);
    this.deferred?.release(false, true);
    return this.framing.output;
  }

  /** Whether speech may start in output samples [start, end), or go on (`continuing` a candidate the gate let start): OnsetGate.allowsOnset. */
  allowsOnset(start: number, end: number, continuing = false): boolean {
    return this.bypassFlag || this.gate.allowsOnset(Math.floor(start / FRAME), Math.ceil(end / FRAME), continuing);
  }

  /** Whether a speech candidate may carry on through [start, end) though allowsOnset held it back (OnsetBridge): OnsetGate.mayBridge. */
  mayBridge(start: number, end: number): boolean {
    return this.bypassFlag || this.gate.mayBridge(Math.floor(start / FRAME), Math.ceil(end / FRAME));
  }

  /** Whether [start, end), held back from starting speech, may lead a candidate starting right after it (OnsetLead): OnsetGate.mayLead. */
  mayLead(start: number, end: number): boolean {
    return this.bypassFlag || this.gate.mayLead(Math.floor(start / FRAME), Math.ceil(end / FRAME));
  }

  close(): void {
    this.speex?.close();
  }

  private processFrame(frame: Int16Array): void {
    const frameIndex = this.frames;
    const mic = this.mic;
    mic.set(frame);
    const micEnergy = meanSquare(mic);
    this.noiseFloor = followNoiseFloor(this.noiseFloor, micEnergy);
    // Where this frame's echo comes from in the reference (a new run is aligned once the last one's echo is over).
    const refPos = this.clock.position(frameIndex, this.inactiveFrames > 0);
    this.delayLock.addMicBlock(micEnergy, refPos / FRAME);
    // Steady: the path heard (a headset's noise-made bound falls too; forgetting it re-ran SpeexDSP:
    // 5.1 -> 6.1 ms CPU per session-second at 100), within a run of speech, as of the last frame.
    // Distrusted, the filter is held while the echo is searched for (echo-realign.ts): not run, it
    // keeps the room as it knew it; found, it hears the frames held again at the new reading. The
    // path bound learns nothing then either: the microphone does not hear what the reference says
    // played (a client that ran dry is silent under loud reference, a bound far too tight).
    // Nor while a new answer's run is searched for where the client plays it (StallWatch.placingRun).
    const unplaced = this.stallWatch?.placingRunAt(this.clock.reading(refPos - this.bulkDelayMs * SAMPLES_PER_MS) + FRAME) ?? false;
    const held = this.trust.holdThisFrame(unplaced);
    // Held for the run, the frame waits to be heard again at the reading found (deferred-frames.ts).
    const deferThis = held && this.trust.holdingForRun && !!this.deferred?.hasRoom;
    const heldLast = this.heldLast;
    this.heldLast = held;
    const moved = held || unplaced ? false : this.pathBound.push(micEnergy, Math.floor(refPos / FRAME), !this.noEchoPath && this.inactiveFrames < RESTART_AFTER_FRAMES);
    if (moved) this.models.echoMoved();
    if ((frameIndex + 1) % 50 === 0) this.updateDelay();
    // Kept after the delay update: a frame replayed at the lock must not be heard twice.
    if (!this.locked) this.lockHistory?.record(mic, refPos);

    // The reference blocks whose echo may be in this frame: those the filter spans once the
    // delay is known, before that anything from 0 to the longest delay + tail. The leak is
    // learnt only once reference old enough to have surely echoed is among them (before the
    // echo arrives the output is quiet, which says nothing about the echo).
    const now = Math.floor(refPos / FRAME);
    const nearest = this.locked ? now - Math.round(Math.max(0, this.echoDelayMs - this.marginMs) / FRAME_MS) : now;
    const settled = this.locked ? now - Math.round(this.echoDelayMs / FRAME_MS) : now - this.maxDelayBlocks;
    const oldest = nearest - this.filterBlocks - (this.locked ? 0 : this.maxDelayBlocks);
    const { refPeak, settledPeak } = this.reference.peaks(oldest, settled, nearest);
    const lastSound = this.reference.lastSoundSample;
    const active = !this.bypassFlag && refPeak > ACTIVE_ENERGY;
    // The assistant speaks again after a pause (a resumed or a new answer): see EchoLeak.restart.
    if (active && this.inactiveFrames >= RESTART_AFTER_FRAMES) this.leak.restart();
    this.inactiveFrames = active ? 0 : this.inactiveFrames + 1;

    let outEnergy: number;
    let gateOutEnergy: number;
    let trusted = true;
    let playSilent = false;
    let filterHearsNoEcho = false;
    let filterRan = false;
    let linearEnergy = micEnergy;
    // Where the filter reads the reference for this frame, between samples too (ReferenceClock.reading): so are frames kept, heard again and searched with.
    const readFrom = this.clock.reading(refPos - this.bulkDelayMs * SAMPLES_PER_MS);
    if (this.speex && !this.bypassFlag) {
      this.trust.record(mic, readFrom, held);
      // All of it past the last sound (a fractional read reaches a few samples before readFrom).
      if (readFrom - FRACTIONAL_REACH > lastSound) {
        this.play.fill(0);
        playSilent = true;
      } else {
        this.reference.readAt(readFrom, this.play);
        playSilent = isSilent(this.play);
      }
    }
    this.quietPlayFrames = playSilent ? this.quietPlayFrames + 1 : 0;
    // Once the filter's whole history is silence and no echo can be in the frame (most of a
    // session's time), or no echo path is worth cancelling (a headset: echo-audibility.ts), the
    // filter would output the microphone itself: the native calls are skipped. Its weights stay
    // as they are (silence teaches it nothing), so it picks up where it was when the assistant
    // speaks again, or should the bound rise (a louder path shows within the bound's 5 s).
    // The path bound, read once a frame (a loop over every delay); unknown again once forgotten below.
    let bound = this.pathBound.boundDb;
    this.noEchoPath = !this.audibility.frame(micEnergy, active ? refPeak : 0, bound);
    const idle = (!active && this.quietPlayFrames > this.filterBlocks + 1) || this.noEchoPath;
    if (held) trusted = false;
    if (this.speex && !this.bypassFlag && !idle && !held) {
      linearEnergy = this.speex.cancel(mic, this.play, this.linearOut, micEnergy);
      // What the filter took out of the microphone (its echo estimate), read by both checks below.
      const estimateEnergy = echoEstimateEnergy(mic, this.linearOut);
      filterRan = true;
      filterHearsNoEcho = this.trust.trusted && this.leak.db <= HEARS_NO_ECHO_LEAK_DB && estimateEnergy < micEnergy * HEARS_NO_ECHO_ABOVE;
      this.estimateRise.push(estimateEnergy, this.tilted.measure(mic, this.linearOut), !this.locked);
      trusted = this.trust.judge(frameIndex, {
        micEnergy,
        outputEnergy: linearEnergy,
        estimateEnergy,
        passesAlone: active ? this.leak.residual(refPeak) * this.onsetMargin : 0,
        noiseFloor: this.noiseFloor,
        locked: this.locked,
        tilted: this.tilted,
        estimateRising: this.estimateRise.rising,
      });
      this.out.set(this.linearOut);
      this.speex.suppress(this.out);
      // The gate judges the suppressed signal (residual echo down 40 dB, the user's voice at most
      // 15 dB). What goes on (VAD, Mel, segments) is the suppressed signal while only echo is
      // there, and the linear output when the user's voice stands out: the suppressor would cut
      // it by up to 15 dB (double talk: SNR against the clean voice -2 dB suppressed, +12 linear).
      // After a hold the suppressor's overlap still holds the last frame it heard: at a new answer's
      // run, its first echo uncancelled (office, +6 dB: 20 dB over the linear output, and it passed the gate).
      outEnergy = !active ? linearEnergy : heldLast ? Math.min(meanSquare(this.out), linearEnergy) : meanSquare(this.out);
      // What the gate judges of the suppressed frame: through a compensated clock drift, its voice band (frame-energy.ts gateEnergy).
      gateOutEnergy = gateEnergy(this.out, outEnergy, active && this.clock.driftRate !== 0);
      const nearEnd = outEnergy > this.leak.residual(refPeak) * this.continueMargin;
      if (!active || nearEnd || !trusted) this.out.set(this.linearOut);
    } else {
      this.out.set(mic);
      outEnergy = micEnergy;
      gateOutEnergy = gateEnergy(mic, micEnergy, active && this.clock.driftRate !== 0);
    }
    // SpeexDSP reset its filter on its own (during this frame or a replay): the leak it had learnt is the room's no more.
    if (this.speex && this.speex.resets !== this.speexResets) {
      this.speexResets = this.speex.resets;
      this.leak.forget(bound);
    }
    // Distrusted this long, the echo no longer comes the way it did (its delay jumped): what
    // bounded it before bounds nothing now (EchoPathBound.forget, by FilterTrust).
    const jumps = this.trust.realignedJumps;
    const roomGone = this.trust.endFrame(frameIndex, filterRan, held, micEnergy, this.noiseFloor, unplaced);
    if (roomGone) {
      bound = null;
      this.models.roomForgotten(frameIndex);
    }

    this.checkStall(now, readFrom, micEnergy, filterRan);
    // Just read past a stall's silence, the filter still holds what it read there: until that
    // has passed its main tap, an onset must stand above the room's whole echo.
    if (this.stallWatch?.settling) trusted = false;
    // Nor does the gate vouch for the filter over a new answer's run until it shows it cancels the
    // run as deeply as its leak says (run-proof.ts); the leak learns from it as before (kept from
    // those frames, it stood lower, and a two-device clock's glitch 5 s on started a turn).
    const leakResidual = active ? this.leak.residual(refPeak) : 0;
    const runUnproven = this.runProof.unproven(this.stallWatch?.placingRun ?? false, this.runFoundSurely, active, micEnergy, outEnergy, leakResidual);
    const evidence = this.gate.next;
    evidence.outEnergy = gateOutEnergy;
    // A stall's silence under test (stall-watch.ts) may have been played through in part: where
    // the reference is silent as placed, the echo of the run after it may come early, at a delay
    // the per-delay gains say nothing of. Such frames are judged as a distrusted filter's, against
    // the loudest echo any delay can return (EchoPathBound.anyDelayEchoBound). Taken for silence,
    // a far room's 500 ms silence played half through started a turn (partial-stall rows: 1 -> 0).
    const testedSilence = active ? null : (this.stallWatch?.silence ?? null);
    const stallMayEcho = testedSilence !== null;
    evidence.active = active || stallMayEcho;
    // A filter trusted again without proof is not vouched for (FilterTrust.proven); after a
    // distrust that came as the user spoke over the echo the gate trusts the residual a while
    // (FilterTrust.doubleTalkGrace).
    const gateTrusts = !runUnproven && ((trusted && this.trust.proven(frameIndex)) || (!held && !this.stallWatch?.settling && this.trust.doubleTalkGrace(frameIndex)));
    evidence.trusted = gateTrusts && !stallMayEcho;
    // Just distrusted, the filter vouched for until then: a candidate it let start may carry on (OnsetGate.mayBridge).
    evidence.freshDistrust = !gateTrusts && !held && !stallMayEcho && this.trust.freshDistrust(frameIndex);
    evidence.micEnergy = micEnergy;
    // Where no delay is locked and no echo path is heard, any echo is at most the bound over the loudest reference.
    evidence.boundEcho = active ? faintBoundEcho(refPeak, bound, !this.locked && this.noEchoPath) : 0;
    evidence.residual = leakResidual;
    // More for speech to start at the echo's onsets, where the filter leaves 10-15 dB more (estimate-rise.ts).
    evidence.onsetExcess = this.estimateRise.excess(filterRan);
    // Learnt from frames whose reference surely echoed, while the filter is trusted.
    if (active && trusted && settledPeak > ACTIVE_ENERGY) this.leak.learn(outEnergy, refPeak, this.onsetMarginDb);
    // The residual cannot be louder than the echo the microphone shows at all (a headset client,
    // a quiet loudspeaker): the leak comes down to that bound at once instead of learning it.
    if (bound !== null) this.leak.capAt(bound);
    // Nor where a new answer's run, not yet found where the client plays it, left the echo the
    // filter expects missing: the envelope model took that for a dropout and stood down (office,
    // +6 dB, the answer begun 100 ms late: unusable 1 s in, it vouched for no bridge, and a
    // barge-in there was heard 992 ms late). Where the echo is there, a few samples off, they learn.
    const modelled = !this.bypassFlag && !this.noEchoPath && !(unplaced && filterRan && this.trust.echoMissingIn(frameIndex));
    const envelopeEcho = this.models.frame({ mic, micEnergy, now, frameIndex, modelled, active, filterHearsNoEcho, refPos, lockedDelayMs: this.delayMs, leakDb: this.leak.db, linearEnergy, loudestReference: refPeak }, evidence);
    // The early filter found where the echo went (a short underrun): the reading moves there (its
    // frames since, and the gap's, heard again). Moved by any search, the envelope model's fit at
    // other delays (echo-shift.ts) starts over there.
    const earlyMove = this.models.earlyMove;
    if (earlyMove) this.trust.echoFoundLater(frameIndex, -earlyMove.samples, earlyMove.frames);
    if (this.trust.realignedJumps !== jumps) {
      this.models.readingMoved();
      this.onReadingMoved?.('jump');
    }
    // Without the adaptive filter (no libspeexdsp) the output is the microphone, whose echo the
    // envelope model predicts: the residual to expect is at least that. The leak alone let a
    // syllable of the small room's echo 14 dB over it start a turn (bridged on the model's word;
    // bench:echo rooms, gate mode: self-interruptions in the small room 5.8/min -> 0).
    if (!this.speex && envelopeEcho > 0) evidence.residual = Math.max(leakResidual, envelopeEcho);
    // A trusted filter whose leak is down to -30 dB models the echo as well as the envelope model:
    // a candidate may be bridged there (OnsetBridge). After a stall the models vouch for nothing
    // until the run's echo confirms them, and a user's first word sinking into its quiet end (6 dB
    // over a residual of such a filter) ended the candidate: bench:echo partial-stall barge-ins
    // 960 -> 96 and 992 -> 192 ms, an underrun row's 960 -> 64 ms; no turn more (at -20 dB: two
    // partial-stall rows started one). So does the early filter vouching with its leak down to -20
    // dB where SpeexDSP is slower (the near room 3 s in: "Wait," 224 ms heard, then held a frame
    // as the echo came back, the VAD still hearing speech; missed).
    evidence.filterCancels = evidence.trusted && this.speex !== null && (this.leak.db <= BRIDGE_LEAK_DB || this.models.earlyCancels);
    // Any delay in range, a jumped one included; read only while the filter is distrusted (allowsOnset).
    evidence.rawResidual = active && !gateTrusts ? this.pathBound.echoEnergyBound(now) : 0;
    if (testedSilence) evidence.rawResidual = this.pathBound.anyDelayEchoBound(now - this.maxDelayBlocks, now + Math.ceil(testedSilence.samples / FRAME));
    // Nothing to measure where there is no echo (an ERLE of 0 dB would say the filter failed).
    this.seconds.frame(active && !this.noEchoPath, micEnergy, outEnergy, leakResidual);
    this.gate.commit();
    this.onFrame?.({ index: frameIndex, evidence, linearEnergy, leakDb: this.leak.db, delayMs: this.delayMs, earlyLeakDb: this.models.earlyLeakDb });
    // What of the last frames the search for a missing echo found unexplained (the user speaking into the gap).
    const unexplained = this.trust.unexplained;
    if (unexplained.frame === frameIndex) this.gate.markUnexplained(frameIndex + 1 - unexplained.frames, frameIndex + 1, unexplained.share, unexplained.mayStart);
    // The drift is measured from the echo against the reference the filter read (echo-lag-meter.ts), near its main tap.
    if (this.lagMeter && filterRan && active && !this.noEchoPath && this.trust.trusted) this.lagMeter.push(mic, this.play, readFrom);
    else this.lagMeter?.skip();
    // Measured as a delay behind the frame's position (refPos: the filter's bulk delay added back), so the filter moving does not move the line.
    if (this.lagMeter?.due) {
      const behind = refPos - readFrom;
      const delay = this.lagMeter.measure(behind, () => mainTap(this.filterResponse()));
      if (delay !== null) this.clock.observeDelay(frameIndex, delay);
    }
    if (deferThis) this.deferred!.defer(frameIndex, this.out, leakResidual);
    // The hold is over (this frame's, or the last one's): the frames held back go on first, judged
    // as a trusted filter's where the run was found surely and the gate vouches for the filter now.
    if (this.deferred?.pending && !this.trust.holdingForRun) this.deferred.release(!runUnproven && this.trust.trusted && this.trust.proven(frameIndex) && !this.stallWatch?.settling);
    if (!deferThis) this.framing.emit(this.out);
    this.frames++;
  }

  /** The last new answer's run was found surely, the filter held until then (not run on as placed where the hold's ring filled first). */
  private get runFoundSurely(): boolean {
    return (this.stallWatch?.runPlacedSurely ?? false) && this.trust.runHeldThroughout;
  }

  /** A stall the client may not have had as placed (stall-watch.ts): the reference is read where its echo is found. */
  private checkStall(now: number, readFrom: number, micEnergy: number, filterRan: boolean): void {
    if (!this.stallWatch?.watching) return;
    const { move, framesSinceSilence, runArrived, approximate, newAnswer } = this.stallWatch.frame(
      {
        mic: this.mic,
        micEnergy,
        noiseFloor: this.noiseFloor,
        filterRan,
        canJudge: this.locked && !this.noEchoPath && !this.bypassFlag && this.speex !== null,
        playFrom: readFrom,
        echoBlock: now - Math.round(this.echoDelayMs / FRAME_MS),
        filterLeadBlocks: Math.max(0, Math.round((this.echoDelayMs - this.bulkDelayMs) / FRAME_MS)),
        driftFree: this.clock.driftRate === 0,
      },
      () => this.filterResponse(),
    );
    // The run after a stall's silence is placed by the server's model of the client, which may be
    // off by a few samples (0.3 ms off, the filter cancelled 5 dB where it had cancelled 30): as
    // after a pause (EchoLeak.restart), the gate expects more residual until the echo shows the
    // filter still cancels. bench:echo: partial-stall echo-only turns 4 -> 2 of 48, a stall row's
    // barge-in 928 -> 32 ms late; the other rows the same.
    if (runArrived) this.leak.restart();
    if (move !== 0) {
      this.clock.skipStall(move);
      this.trust.readingMoved(this.frames, move, framesSinceSilence, !approximate);
      this.onReadingMoved?.(newAnswer ? 'answer' : 'stall');
    }
  }

  /** The filter's impulse response (only with SpeexDSP), read into one reused buffer: callers copy what they keep. */
  private filterResponse(): Int32Array {
    this.impulse = this.speex!.impulseResponse(this.impulse);
    return this.impulse;
  }

  /** The filter on a microphone frame heard before (FilterRehearing.hear). A frame held for a new answer's run found surely (`held`) is kept as cancelled (deferred-frames.ts). */
  private hearAgain(frame: Int16Array, readFrom: number, silentBefore?: number, held = false): number {
    if (!this.rehearing) return 0;
    const linearEnergy = this.rehearing.hear(frame, readFrom, silentBefore);
    if (held && this.deferred?.pending && this.runFoundSurely) {
      this.deferred.heardAgain(frame, this.rehearing.output, linearEnergy, !this.locked, this.heldLast, this.clock.driftRate !== 0);
      this.heldLast = false;
    }
    return linearEnergy;
  }

  private updateDelay(): void {
    // Nothing has played for a while: the microphone's latest blocks are the user or the room,
    // never echo, so they cannot say where the echo is. A barge-in honoured early in an answer
    // is the case: the user talking on after the answer stopped is a step in the microphone's
    // envelope against the reference's last words, which correlates best at long lags (576 ms,
    // two estimates running, conf ~0.5, against a true 125 ms): the filter moved there, and the
    // next answers' own echo started turns, one after another (Agents SDK, 0 dB: 4 of 28 runs).
    // Nor is there a delay to find while the microphone hears no echo (a headset: echo-audibility.ts).
    if (this.inactiveFrames >= ESTIMATE_AFTER_SILENT_FRAMES || this.noEchoPath) {
      this.delayLock.pause();
      return;
    }
    const taken = this.delayLock.update((block) => this.reference.blockEnergy(block));
    if (!taken) return;
    const delayMs = this.delayLock.delayMs;
    // The filter moves only when it does not span the echo already: moving it throws away what
    // it has learnt (about 1.5 s of distrust while it relearns, in which a barge-in must stand
    // above the room's whole echo). Before the first estimate it starts at 0 and spans
    // filterMs, which covers rooms whose echo arrives within filterMs - FILTER_TAIL_MS.
    const start = this.bulkDelayMs + (this.bulkDelayMs > 0 ? this.marginMs / 2 : 0);
    const covered = delayMs >= start && delayMs + FILTER_TAIL_MS <= this.bulkDelayMs + this.filterBlocks * FRAME_MS;
    if (!covered) {
      this.bulkDelayMs = Math.max(0, delayMs - this.marginMs);
      this.leak.forget(this.pathBound.boundDb);
      if (taken.firstLock && this.lockHistory) this.rehearing?.hearBeforeLock(this.lockHistory, this.bulkDelayMs * SAMPLES_PER_MS);
    }
    this.lockHistory = null;
  }
}

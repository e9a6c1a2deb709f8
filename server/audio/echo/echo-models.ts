// The echo models' word for the onset gate (canceller.ts): the envelope model (echo-envelope.ts),
// the spectral one (echo-spectrum.ts) and, with SpeexDSP, the early filter (early-echo.ts: a
// witness only once SpeexDSP has learnt the room) run on each microphone frame, and what they may
// vouch for is written into the frame's evidence (onset-gate.ts). Before the filter has learnt the
// room they are how a user over the echo is heard; this file decides when they may not be believed.
import { ECHO_ENVELOPE_TAPS, EchoEnvelope } from './echo-envelope.js';
import { EchoSpectrum } from './echo-spectrum.js';
import { EarlyEcho } from './early-echo.js';
import type { FrameEvidence } from './onset-gate.js';
import { ECHO_BLOCK_SAMPLES, type EchoReference } from './reference.js';

/** Frames of a run's echo the envelope model must have learnt from (its echo within its prediction) before the models vouch for anything in that run, or after it relearnt a delay jump. */
const RUN_CONFIRM_FRAMES = 50;
/**
 * After the filter was distrusted long enough to forget the room (the echo's delay jumped), the
 * spectral model may not start speech for this many frames (1 s), only carry a word on. A short
 * underrun (50 ms, 2 s into a first answer) is no dropout to the envelope model (the room's tail
 * fills the gap), so both models go on predicting the echo where it came before; the filter,
 * relearnt at the new delay, is trusted again, and the spectral model found 34% of the echo in
 * "clear" bands: the echo alone started a turn (a check script of 10-50 ms underruns 2 and 3 s
 * into a first answer, 48 cases: turns 9 -> 7; 0.5 and 1.5 s the same; both models standing down
 * instead: turns 6 but barge-ins missed 11 -> 23).
 */
const SPECTRAL_STARTS_AFTER_FRAMES = 100;

/** The early filter's leak at or under which it models the echo well enough for a candidate to be bridged on its word (EchoModels.earlyCancels), dB. */
const EARLY_CANCELS_LEAK_DB = -20;

/** One microphone frame as the models see it. */
export interface ModelFrame {
  mic: Int16Array;
  micEnergy: number;
  /** The reference block playing now, and the frame's index. */
  now: number;
  frameIndex: number;
  /** The models run at all (not bypassed, an echo path heard); reference audio can echo in the frame. */
  modelled: boolean;
  active: boolean;
  /** The converged, trusted filter heard no echo here: a quiet microphone is then no dropout (EchoEnvelope.frame). */
  filterHearsNoEcho: boolean;
  /** The frame's own position on the reference (samples), the canceller's locked delay (ms, null before), and its leak (dB). */
  refPos: number;
  lockedDelayMs: number | null;
  leakDb: number;
  /** What the filter left of the frame before suppression (its linear output's energy), and the loudest reference that can echo in it. */
  linearEnergy: number;
  loudestReference: number;
}

export class EchoModels {
  private readonly envelope = new EchoEnvelope();
  private readonly spectrum: EchoSpectrum;
  /** The early filter, a witness only once SpeexDSP has learnt the room (early-echo.ts). */
  private readonly early: EarlyEcho | null;
  /** The reference's run of playback (EchoReference.runs) the models are judged in, and the frames of its echo that confirmed them. */
  private modelRun = -1;
  private runConfirmFrames = 0;
  /** The frame the filter was last distrusted long enough to forget the room (a delay jump): see SPECTRAL_STARTS_AFTER_FRAMES. */
  private roomForgottenAt = Number.NEGATIVE_INFINITY;

  /** `linear`: SpeexDSP runs (the early filter is its companion while it is young; without it the gate stands as before). */
  constructor(private readonly reference: EchoReference, maxDelayMs: number, linear: boolean) {
    this.spectrum = new EchoSpectrum(reference);
    this.early = linear ? new EarlyEcho(reference, maxDelayMs) : null;
  }

  /** The early filter's leak, dB; null once it is retired (for tracing). */
  get earlyLeakDb(): number | null {
    return this.early === null || this.early.retired ? null : this.early.leakDb;
  }

  /** The early filter, not a witness only, vouched for the last frame with its leak at or under EARLY_CANCELS_LEAK_DB: it models the echo well. */
  get earlyCancels(): boolean {
    return this.early !== null && !this.early.witnessing && this.early.expected > 0 && this.early.leakDb <= EARLY_CANCELS_LEAK_DB;
  }

  /** A move of the echo the early filter found this frame (samples later), and the frames to hear again at it; null when none (early-echo.ts). */
  get earlyMove(): { samples: number; frames: number } | null {
    return this.early?.foundMove ?? null;
  }

  /** The reading moved to where a search found the echo: the envelope model's fit at other delays starts over. */
  readingMoved(): void {
    this.envelope.readingMoved();
  }

  /** The echo moved, as the path bound saw (EchoPathBound.push): the envelope model stands down. */
  echoMoved(): void {
    this.envelope.standDown();
  }

  /** The filter was distrusted long enough to forget the room at `frameIndex`. */
  roomForgotten(frameIndex: number): void {
    this.roomForgottenAt = frameIndex;
  }

  /**
   * Runs the models on a frame and writes their evidence (envelopeEcho, spectralClear,
   * spectralTotal, spectralMayStart, modelsMayStart). Returns the echo energy the envelope model
   * predicts where it may be used, else 0.
   */
  frame(f: ModelFrame, evidence: FrameEvidence): number {
    // Not run while the canceller is bypassed (the session cancels echo itself) nor while the
    // microphone hears no echo (none to model); the record is then 0 (unknown), as while it is
    // untrained: the gate stands on the residual the path bound caps, and no candidate is bridged
    // on the model's word.
    const tapsSilent = (f.now - ECHO_ENVELOPE_TAPS + 1) * ECHO_BLOCK_SAMPLES > this.reference.lastSoundSample;
    // A missing echo is a delay jump to the envelope model only where the filter, trusted and
    // cancelling, expected echo too: at 0 dB the model had learnt the user's first word as echo
    // and took the user and the answer pausing together for a jump (far room, 3 s in).
    const envelopeEcho = !f.modelled ? 0 : tapsSilent ? this.envelope.silentFrame(f.micEnergy) : this.envelope.frame(f.micEnergy, (k) => this.reference.blockEnergy(f.now - k), !f.filterHearsNoEcho);
    if (f.modelled && !tapsSilent) this.spectrum.frame(f.mic, f.now, this.envelope.learntLastFrame);
    else this.spectrum.skip(f.mic);
    // Each run of playback (an answer; the rest of one after a stall) is placed where the server
    // expects the client to play it, which may not be where the client does: what the models
    // learnt vouches for nothing in a new run until its echo has confirmed them
    // (RUN_CONFIRM_FRAMES frames within the broadband model's double-talk bar). Through the
    // socket at 0 dB a second answer's echo stood 16 dB over the prediction just after a
    // tentative pause and resume, and the spectral model let it start turns. So too a model back
    // from a delay jump: the jump may have taken the echo past its reach (the far room after a
    // 300 ms underrun: 730 ms, its taps end at 750), and a second of relearning proves nothing
    // then (bench:echo rooms: the far room at +6 dB, that underrun 3 s into the first answer,
    // started a turn once the model stood down for a second instead of 1.5).
    if (this.reference.runs !== this.modelRun || this.envelope.relearning) {
      this.modelRun = this.reference.runs;
      this.runConfirmFrames = 0;
    }
    if (f.modelled && this.envelope.learntLastFrame) this.runConfirmFrames++;
    const usable = f.modelled && f.active && this.envelope.usable && this.runConfirmFrames >= RUN_CONFIRM_FRAMES;
    evidence.envelopeEcho = usable ? Math.max(envelopeEcho, 1e-3) : 0;
    // The spectral model learns on exactly the envelope model's frames: usable, it is trained too.
    evidence.spectralClear = usable ? this.spectrum.clear : 0;
    evidence.spectralTotal = usable ? Math.max(this.spectrum.total, 1e-3) : 0;
    evidence.spectralMayStart = f.frameIndex - this.roomForgottenAt >= SPECTRAL_STARTS_AFTER_FRAMES;
    evidence.modelsMayStart = this.envelope.aligned;
    // The early filter (early-echo.ts), while the models run, until the echo may have moved;
    // echo the models do not run on (the canceller bypassed, a headset) stands it down for good.
    if (!f.modelled && f.active) this.early?.standDown();
    const early = f.modelled ? this.early : null;
    early?.frame({ mic: f.mic, micEnergy: f.micEnergy, refPos: f.refPos, active: f.active, lockedDelayMs: f.lockedDelayMs, mainLeakDb: f.leakDb, mainLinearEnergy: f.linearEnergy, loudestReference: f.loudestReference, mainTrusted: evidence.trusted });
    evidence.earlyResidual = early ? early.residual : 0;
    evidence.earlyExpected = early ? early.expected : 0;
    evidence.earlyWitnessOnly = early !== null && early.witnessing;
    return usable ? envelopeEcho : 0;
  }
}

// One session's hearing: 16 kHz audio in, turn events and speech segments out.
//
// push() appends to a window of recent samples and to the streaming Mel encoder at
// once; VAD frames (512 samples, aligned to the stream) then go through the shared
// scheduler one at a time, strictly in order, and the turn detector turns their
// probabilities into speech_started / speech_stopped / segment events. Segments are
// cut from the window by absolute sample index, so whatever the VAD's lag, a
// segment's samples are exactly the stream's samples at [startMs, endMs) and two
// segments never share a sample.
//
// Memory is bounded for endless audio: the window keeps only what a segment can
// still need (the current speech, the prefix padding, frames the VAD has not seen),
// segments are capped at `maxSegmentMs` (speech past it continues in a new segment,
// see TurnEvent `max_length`), and a VAD that falls `maxVadBacklogMs` behind skips
// frames (counted in `skippedVadFrames`) rather than hold audio without limit.
import type { AudioSegment, MelFeatures } from '../../models/types.js';
import { StreamingMelEncoder, type MelOptions } from './mel/index.js';
import { PIPELINE_SAMPLE_RATE, type TurnDetectionSettings, type TurnEvent, type TurnEventListener } from './types.js';
import { SampleWindow } from './vad/sample-window.js';
import { VAD_FRAME_SAMPLES } from './vad/silero.js';
import type { VadScheduler, VadStream } from './vad/scheduler.js';
import { TurnDetector, type TurnDetectorSettings } from './vad/turn-detector.js';
import { QuietFrames } from './vad/quiet-frames.js';
import type { SpeechOnsetGate } from './echo/session-echo.js';
import { OnsetBridge } from './echo/onset-bridge.js';
import { LEAD_FRAMES, OnsetLead } from './echo/onset-lead.js';

const SAMPLES_PER_MS = PIPELINE_SAMPLE_RATE / 1000;
const DEFAULT_VAD_STATE_RESET_MS = 5000;
/** An early onset (between the thresholds) that has not reached the on threshold after this many frames is dropped. */
const EARLY_ONSET_FRAMES = 2;

/** Server-side knobs (config `audio.vad`); the session's `turn_detection` supplies the rest. */
export interface FrontEndTuning {
  /** Speech-off threshold = threshold - this (floored at 0.01). */
  negativeThresholdOffset: number;
  minSpeechMs: number;
  maxSegmentMs: number;
  maxVadBacklogMs: number;
  /** Fresh VAD state after this much silence (0: only after turns; default 5000); see maybeResetVadState. */
  vadStateResetMs?: number;
  /** Silence after speech that is reported as `pause_started` (0 or absent: no pause events). */
  pauseEventMs?: number;
  /** The VAD model skips frames at the room's noise floor between turns (default true; see QuietFrames). */
  skipQuietFrames?: boolean;
}

export interface FrontEndOptions {
  /** The shared VAD; null when no VAD model is loaded (server_vad is then refused). */
  vad: VadScheduler | null;
  /** Features every segment carries; null: segments without `mel`. */
  mel: MelOptions | null;
  turnDetection: TurnDetectionSettings;
  tuning: FrontEndTuning;
  onEvent: TurnEventListener;
  /** The echo path's veto on onsets (echo-aware turn detection); without it every VAD onset counts. */
  onsetGate?: SpeechOnsetGate;
  /** VAD failures and listener exceptions (the front-end keeps going; VAD stops on a model error). */
  onError?: (error: unknown) => void;
}

export class AudioFrontEnd {
  /** Starts at 1 s and grows with the speech it must hold: an idle session stays small. */
  private readonly window = new SampleWindow(PIPELINE_SAMPLE_RATE);
  private readonly mel: StreamingMelEncoder | null;
  /**
   * VAD mode computes Mel frames only while speech may be forming (a candidate, or speech going
   * on) and catches up from the window when it starts: frames of silence no segment includes were
   * most of the encoder's work (~10% of a conversational server's CPU). Not with dither, whose
   * random sequence would then differ from the eager encoder's.
   */
  private readonly lazyMel: boolean;
  /** Samples the window keeps before a segment's first sample, for its first Mel frames' windows. */
  private readonly melLookBehind: number;
  private readonly vad: VadScheduler | null;
  private readonly tuning: FrontEndTuning;
  private readonly onEvent: TurnEventListener;
  private readonly onError: (error: unknown) => void;
  private readonly onsetGate: SpeechOnsetGate | null;
  /** The last VAD frame was speech the onset gate held back (one suppressed onset per run). */
  private heldByGate = false;
  /** Carries a candidate the gate heard clearly through a few frames it cannot tell from the echo. */
  private readonly onsetBridge = new OnsetBridge();
  /** Starts a candidate at the quiet frames that led the one clearing the gate's onset bar. */
  private readonly onsetLead = new OnsetLead();
  /** Where a candidate starting in the frame just gated begins (onset-lead.ts). */
  private candidateFrom = 0;
  /** Frame start of possible speech announced between the off and on thresholds, or -1. */
  private earlyOnsetAt = -1;
  /** A hovering sound was dropped: no early onset until the probability falls below the off threshold. */
  private earlyOnsetSpent = false;
  private settings: TurnDetectionSettings;
  private detector: TurnDetector | null = null;
  private stream: VadStream | null = null;
  /** The stream's frames at the room's noise floor, which the model need not see (null: it sees all). */
  private quiet: QuietFrames | null = null;
  /** Bumped whenever VAD results in flight must be ignored (mode change, close). */
  private generation = 0;
  private vadInFlight = false;
  /** First sample of the next VAD frame. */
  private vadNext = 0;
  private vadSkipped = 0;
  /** End of the last VAD state reset or of the last frame with speech pending. */
  private quietSince = 0;
  /** First sample of the open speech segment (VAD mode), or -1. */
  private segmentStart = -1;
  /** No later segment starts before this (end of the last segment, commit or clear). */
  private lastSegmentEnd = 0;
  /** Manual mode: first uncommitted sample. */
  private manualStart = 0;
  private manualDropped = 0;
  private idleWaiters: (() => void)[] = [];
  /** A pause_started went out for the silence run in progress. */
  private pauseAnnounced = false;
  private closed = false;

  constructor(options: FrontEndOptions) {
    this.vad = options.vad;
    this.mel = options.mel ? new StreamingMelEncoder(options.mel) : null;
    this.lazyMel = !!options.mel && options.mel.dither === 0;
    this.melLookBehind = this.mel && this.lazyMel ? Math.max(0, this.mel.frameCenterSample(0) - this.mel.frameWindowStart(0)) : 0;
    this.tuning = { ...options.tuning };
    this.onEvent = options.onEvent;
    this.onError = options.onError ?? (() => {});
    this.onsetGate = options.onsetGate ?? null;
    this.settings = null;
    this.setTurnDetection(options.turnDetection);
  }

  /** Samples received since the stream began (the session's input clock, 16 per ms). */
  get receivedSamples(): number {
    return this.window.end;
  }

  /** Samples held in memory now. */
  get heldSamples(): number {
    return this.window.held;
  }

  /** Speech confirmed and not yet stopped (VAD mode). */
  get speaking(): boolean {
    return this.segmentStart >= 0;
  }

  /** Confirmed speech: ms of silence the VAD has judged since its last voiced frame (0 while voiced, or outside speech). */
  get trailingSilenceMs(): number {
    const start = this.detector?.silenceRunStart ?? -1;
    return start < 0 ? 0 : Math.max(0, this.vadNext - start) / SAMPLES_PER_MS;
  }

  /** VAD frames skipped because the VAD fell too far behind. */
  get skippedVadFrames(): number {
    return this.vadSkipped;
  }

  /** VAD frames at the room's noise floor that skipped the model (QuietFrames). */
  get quietVadFrames(): number {
    return this.quiet?.skipped ?? 0;
  }

  /** Manual mode: samples dropped from the front of an uncommitted buffer longer than maxSegmentMs. */
  get droppedManualSamples(): number {
    return this.manualDropped;
  }

  get turnDetection(): TurnDetectionSettings {
    return this.settings;
  }

  push(samples: Float32Array): void {
    if (this.closed || samples.length === 0) return;
    this.window.append(samples);
    if (!this.lazyMel) this.mel?.push(samples);
    else if (this.melWanted()) this.feedMel();
    if (this.settings === null) {
      const max = this.tuning.maxSegmentMs * SAMPLES_PER_MS;
      if (this.window.end - this.manualStart > max) {
        this.manualDropped += this.window.end - max - this.manualStart;
        this.manualStart = this.window.end - max;
      }
    }
    this.pumpVad();
    this.trim();
  }

  /** Applies a session's `turn_detection` live. Switching modes starts afresh from the current sample. */
  setTurnDetection(settings: TurnDetectionSettings): void {
    if (this.closed) return;
    if (settings !== null && !this.vad) throw new Error('server_vad needs a VAD model, and none is loaded');
    const wasVad = this.settings !== null;
    this.settings = settings === null ? null : { ...settings };
    if (settings === null) {
      if (wasVad) {
        // Speech in progress stays in the (now manual) buffer; nothing older does.
        this.manualStart = this.segmentStart >= 0 ? this.segmentStart : this.window.end;
        this.stopVad();
        this.trim();
      }
      return;
    }
    const detectorSettings = this.detectorSettings(settings);
    if (wasVad && this.detector) {
      this.detector.update(detectorSettings);
      return;
    }
    // Audio buffered in manual mode is dropped: the VAD starts on the next frame.
    this.detector = new TurnDetector(detectorSettings);
    this.stream = this.vad!.createStream();
    this.quiet = this.tuning.skipQuietFrames === false ? null : new QuietFrames();
    this.generation++;
    this.vadInFlight = false;
    this.vadNext = this.window.end;
    this.quietSince = this.window.end;
    this.segmentStart = -1;
    this.lastSegmentEnd = this.window.end;
    this.trim();
  }

  /**
   * Manual mode: the segment of everything since the last commit/clear (null when empty).
   * VAD mode: ends the speech in progress now (speech_stopped is emitted) and returns it; null when
   * no speech is in progress. The segment is returned, not emitted as an event.
   */
  commit(): AudioSegment | null {
    if (this.closed) return null;
    const end = this.window.end;
    if (this.settings === null) {
      const start = Math.max(this.manualStart, this.window.start);
      this.manualStart = end;
      const segment = start < end ? this.segment(start, end) : null;
      this.trim();
      return segment;
    }
    if (this.segmentStart < 0) return null;
    this.pauseAnnounced = false;
    const segment = this.segment(this.segmentStart, end);
    this.emit({ type: 'speech_stopped', audioEndMs: end / SAMPLES_PER_MS });
    this.segmentStart = -1;
    this.lastSegmentEnd = end;
    this.detector!.reset();
    this.trim();
    return segment;
  }

  /**
   * VAD mode, during a reported pause (pause_started): the turn ends here, before the silence
   * timer (an end-of-turn model called it complete). speech_stopped and the segment are emitted
   * exactly as the timer would have emitted them. False when no pause is under way.
   */
  endTurnAtPause(): boolean {
    const detector = this.detector;
    if (this.closed || !detector || !this.pauseAnnounced || this.segmentStart < 0 || detector.pauseSpeechEnd < 0) return false;
    const end = Math.max(detector.pauseSpeechEnd, this.segmentStart);
    detector.reset();
    this.emit({ type: 'speech_stopped', audioEndMs: end / SAMPLES_PER_MS });
    this.closeSegment(end, 'vad');
    this.trim();
    return true;
  }

  /** Drops the uncommitted audio (manual) or the speech in progress (VAD, no events). */
  clear(): void {
    if (this.closed) return;
    const end = this.window.end;
    this.manualStart = end;
    this.pauseAnnounced = false;
    if (this.settings !== null) {
      this.segmentStart = -1;
      this.lastSegmentEnd = end;
      this.detector!.reset();
    }
    this.trim();
  }

  /** Resolves once every frame pushed so far has been through the VAD (at once in manual mode). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Releases everything; later calls are no-ops. Events no longer fire. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopVad();
    this.window.clear();
    this.mel?.reset();
    this.resolveIdle();
  }

  private detectorSettings(settings: Exclude<TurnDetectionSettings, null>): TurnDetectorSettings {
    return {
      threshold: settings.threshold,
      negativeThreshold: Math.max(0.01, settings.threshold - this.tuning.negativeThresholdOffset),
      minSpeechMs: this.tuning.minSpeechMs,
      silenceDurationMs: settings.silence_duration_ms,
    };
  }

  private prefixPaddingSamples(): number {
    const ms = this.settings?.prefix_padding_ms ?? 0;
    return Math.round(Math.min(Math.max(ms, 0), this.tuning.maxSegmentMs) * SAMPLES_PER_MS);
  }

  private stopVad(): void {
    this.earlyOnsetAt = -1;
    this.stream?.close();
    this.stream = null;
    this.detector = null;
    this.generation++;
    this.vadInFlight = false;
    this.segmentStart = -1;
    this.resolveIdle();
  }

  private isIdle(): boolean {
    return this.closed || this.stream === null || (!this.vadInFlight && this.vadNext + VAD_FRAME_SAMPLES > this.window.end);
  }

  private resolveIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pumpVad(): void {
    const stream = this.stream;
    if (this.closed || !stream || this.vadInFlight) return;
    const backlog = this.window.end - this.vadNext;
    const maxBacklog = this.tuning.maxVadBacklogMs * SAMPLES_PER_MS;
    if (backlog > maxBacklog) {
      // Overloaded: skip whole frames down to half the allowed backlog; they count as unheard.
      const skip = Math.floor((backlog - maxBacklog / 2) / VAD_FRAME_SAMPLES);
      this.vadNext += skip * VAD_FRAME_SAMPLES;
      this.vadSkipped += skip;
    }
    const generation = this.generation;
    let start = this.vadNext;
    let frame: Float32Array | null = null;
    while (start + VAD_FRAME_SAMPLES <= this.window.end) {
      frame = this.window.view(start, start + VAD_FRAME_SAMPLES);
      if (!this.quiet?.skip(frame, this.idleForQuietFrames())) break;
      // The room's noise between turns: counted as the model's last word, without running it.
      stream.passOver(frame);
      frame = null;
      this.vadNext = start + VAD_FRAME_SAMPLES;
      this.onProbability(this.quiet.probability, start);
      if (generation !== this.generation) return;
      start = this.vadNext;
    }
    if (frame === null) {
      this.resolveIdle();
      return;
    }
    this.vadInFlight = true;
    stream.infer(frame).then(
      (probability) => {
        if (generation !== this.generation) return;
        this.vadInFlight = false;
        this.vadNext = start + VAD_FRAME_SAMPLES;
        this.quiet?.heard(probability);
        this.onProbability(probability, start);
        this.pumpVad();
        this.trim();
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.onError(error);
        this.stopVad();
      },
    );
  }

  /** No speech forming or going on: a frame the model skips cannot end, split or start a turn. */
  private idleForQuietFrames(): boolean {
    const detector = this.detector!;
    return detector.pendingSpeechStart < 0 && !detector.speaking && this.segmentStart < 0 && this.earlyOnsetAt < 0;
  }

  private onProbability(vadProbability: number, frameStart: number): void {
    // Echo-aware: a frame the echo path may be hearing as the assistant's own voice counts as silence
    // before speech is confirmed, so echo alone never gives voice_onset or speech_started.
    const probability = this.gateOnset(vadProbability, frameStart);
    const detector = this.detector!;
    const wasPending = detector.pendingSpeechStart >= 0;
    const decision = detector.push(probability, frameStart, VAD_FRAME_SAMPLES, this.candidateFrom);
    // Possible speech (before the minimum speech confirms it) is announced, and so is its end as
    // a blip: an answer can pause at the first speech frame and resume if it came to nothing.
    const isPending = detector.pendingSpeechStart >= 0;
    if (!wasPending && isPending) {
      // Announced already when the probability first crossed the off threshold (see below).
      if (this.earlyOnsetAt < 0) this.emit({ type: 'voice_onset', speechOnsetMs: detector.pendingSpeechStart / SAMPLES_PER_MS });
      this.earlyOnsetAt = -1;
    } else if (wasPending && !isPending && decision === null) this.emit({ type: 'voice_dropped' });
    else if (!isPending && !detector.speaking) this.earlyOnset(probability, frameStart);
    this.maybeResetVadState(decision?.type === 'end', frameStart + VAD_FRAME_SAMPLES);
    if (decision === null) this.reportPause(frameStart + VAD_FRAME_SAMPLES);
    else this.pauseAnnounced = false;
    if (decision?.type === 'start') {
      const start = Math.max(decision.speechStartSample - this.prefixPaddingSamples(), this.lastSegmentEnd, this.window.start);
      this.segmentStart = start;
      this.emit({ type: 'speech_started', audioStartMs: start / SAMPLES_PER_MS, speechOnsetMs: decision.speechStartSample / SAMPLES_PER_MS });
    } else if (decision?.type === 'end' && this.segmentStart >= 0) {
      const end = Math.max(decision.speechEndSample, this.segmentStart);
      this.emit({ type: 'speech_stopped', audioEndMs: end / SAMPLES_PER_MS });
      this.closeSegment(end, 'vad');
    }
    const cap = this.tuning.maxSegmentMs * SAMPLES_PER_MS;
    if (this.segmentStart >= 0 && frameStart + VAD_FRAME_SAMPLES - this.segmentStart >= cap) {
      const pauseStart = this.detector!.silenceRunStart;
      if (pauseStart > this.segmentStart) {
        // A pause is under way at the cap: let it end the turn now rather than split at the cap.
        this.detector!.reset();
        this.emit({ type: 'speech_stopped', audioEndMs: pauseStart / SAMPLES_PER_MS });
        this.closeSegment(pauseStart, 'vad');
        return;
      }
      // Speech goes on past the cap: hand on what we have and continue in a new segment.
      const cut = this.segmentStart + cap;
      this.emit({ type: 'speech_stopped', audioEndMs: cut / SAMPLES_PER_MS });
      this.closeSegment(cut, 'max_length');
      this.segmentStart = cut;
      this.emit({ type: 'speech_started', audioStartMs: cut / SAMPLES_PER_MS, speechOnsetMs: cut / SAMPLES_PER_MS });
    }
  }

  /** pause_started once a silence run inside speech reaches pauseEventMs; pause_ended if speech resumes. */
  private reportPause(frameEnd: number): void {
    const pauseMs = this.tuning.pauseEventMs ?? 0;
    const detector = this.detector!;
    if (pauseMs <= 0 || this.segmentStart < 0 || !detector.speaking) return;
    const silenceStart = detector.silenceRunStart;
    if (silenceStart < 0) {
      if (this.pauseAnnounced) {
        this.pauseAnnounced = false;
        this.emit({ type: 'pause_ended' });
      }
      return;
    }
    if (this.pauseAnnounced || frameEnd - silenceStart < pauseMs * SAMPLES_PER_MS) return;
    this.pauseAnnounced = true;
    const end = Math.max(detector.pauseSpeechEnd, this.segmentStart);
    this.emit({ type: 'pause_started', speechEndMs: end / SAMPLES_PER_MS, segment: this.segment(this.segmentStart, end) });
  }

  /**
   * Speech often crosses the off threshold a frame before the on threshold: possible speech is
   * announced there (voice_onset) so an answer pauses a frame sooner. It is dropped again if the
   * probability falls back below the off threshold, or has not reached the on threshold within
   * EARLY_ONSET_FRAMES (a sound hovering between the two thresholds is not speech starting).
   */
  private earlyOnset(probability: number, frameStart: number): void {
    const off = this.detector!.negativeThreshold;
    if (this.earlyOnsetAt < 0) {
      // After a hovering sound was dropped, it must fall back below the off threshold first.
      if (probability < off) this.earlyOnsetSpent = false;
      if (probability < off || this.earlyOnsetSpent) return;
      this.earlyOnsetAt = frameStart;
      this.emit({ type: 'voice_onset', speechOnsetMs: frameStart / SAMPLES_PER_MS });
      return;
    }
    if (probability < off || frameStart - this.earlyOnsetAt >= EARLY_ONSET_FRAMES * VAD_FRAME_SAMPLES) {
      this.earlyOnsetSpent = probability >= off;
      this.earlyOnsetAt = -1;
      this.emit({ type: 'voice_dropped' });
    }
  }

  /**
   * Echo-aware onsets: until speech is confirmed, a frame the echo path judges may be the
   * assistant's own voice counts as silence, so echo alone never starts a turn. Speech already
   * confirmed is not gated (its pauses are the detector's business).
   */
  private gateOnset(probability: number, frameStart: number): number {
    const gate = this.onsetGate;
    const candidate = this.detector!.pendingSpeechStart >= 0;
    if (!candidate) this.onsetBridge.reset();
    this.candidateFrom = frameStart;
    if (!gate || this.detector!.speaking || gate.allowsOnset(frameStart, frameStart + VAD_FRAME_SAMPLES, candidate)) {
      this.heldByGate = false;
      if (gate && !this.detector!.speaking && probability >= this.detector!.negativeThreshold) this.onsetBridge.passed();
      if (gate && !candidate) this.candidateFrom = this.onsetLead.startFor(frameStart);
      this.onsetLead.reset();
      return probability;
    }
    // A candidate the gate heard clearly, sinking into the echo for a frame or two (onset-bridge.ts).
    if (candidate && probability >= this.detector!.negativeThreshold && gate.mayBridge(frameStart, frameStart + VAD_FRAME_SAMPLES) && this.onsetBridge.bridge()) return probability;
    const speech = probability >= (this.settings?.threshold ?? 1);
    this.onsetLead.heard(frameStart, VAD_FRAME_SAMPLES, !candidate && speech && gate.mayLead(frameStart, frameStart + VAD_FRAME_SAMPLES));
    if (speech && !this.heldByGate) gate.suppressedOnset();
    this.heldByGate = speech;
    return 0;
  }

  /**
   * Silero's recurrent state drifts over long streams: on continuous audio its speech
   * probabilities sink until words go unnoticed (220 alphanumeric clips in one stream with
   * 1.5 s gaps: v4 finds 183 without resets, 214 with; v5 61 vs 219). A fresh state after each
   * turn and after every `vadStateResetMs` of silence keeps it as sharp as on a new session.
   */
  private maybeResetVadState(turnEnded: boolean, frameEnd: number): void {
    if (this.detector!.pendingSpeechStart >= 0) {
      this.quietSince = frameEnd;
      return;
    }
    const resetMs = this.tuning.vadStateResetMs ?? DEFAULT_VAD_STATE_RESET_MS;
    if (turnEnded || (resetMs > 0 && frameEnd - this.quietSince >= resetMs * SAMPLES_PER_MS)) {
      this.stream!.reset();
      this.quietSince = frameEnd;
    }
  }

  private closeSegment(end: number, reason: 'vad' | 'max_length'): void {
    const start = this.segmentStart;
    this.segmentStart = -1;
    this.pauseAnnounced = false;
    this.lastSegmentEnd = end;
    if (end > start) this.emit({ type: 'segment', segment: this.segment(start, end), reason });
  }

  private segment(start: number, end: number): AudioSegment {
    return {
      samples: this.window.copy(start, end),
      sampleRate: PIPELINE_SAMPLE_RATE,
      mel: this.melBetween(start, end),
      startMs: start / SAMPLES_PER_MS,
      endMs: end / SAMPLES_PER_MS,
    };
  }

  /** Lazy Mel: wanted while speech may be forming, or the buffer is committed by hand. */
  private melWanted(): boolean {
    return this.settings === null || !this.detector || this.detector.pendingSpeechStart >= 0 || this.segmentStart >= 0;
  }

  /** Lazy Mel: feeds the encoder up to the window's end, skipping ahead over audio no longer held. */
  private feedMel(): void {
    const mel = this.mel;
    if (!mel || !this.lazyMel) return;
    let fed = mel.sampleCount;
    if (fed < this.window.start) {
      // The first frame whose whole window the window still holds.
      const hop = mel.options.hopLength;
      let frame = Math.max(mel.frameCount, Math.ceil((this.window.start - mel.frameWindowStart(0)) / hop));
      while (mel.frameWindowStart(frame) < this.window.start) frame++;
      fed = mel.seek(frame);
    }
    if (fed < this.window.end) mel.push(this.window.view(fed, this.window.end));
  }

  /** Mel frames whose centres fall in [start, end) (frames not computed yet are left out). */
  private melBetween(start: number, end: number): MelFeatures | undefined {
    const mel = this.mel;
    if (!mel) return undefined;
    this.feedMel();
    const from = Math.min(Math.max(this.firstFrameAtOrAfter(start), mel.firstRetainedFrame), mel.frameCount);
    const to = Math.min(this.firstFrameAtOrAfter(end), mel.frameCount);
    return mel.read(from, Math.max(from, to));
  }

  private firstFrameAtOrAfter(sample: number): number {
    const mel = this.mel!;
    const hop = mel.options.hopLength;
    return Math.max(0, Math.ceil((sample - mel.frameCenterSample(0)) / hop));
  }

  /** Forgets audio (and Mel frames) no future segment can include. */
  private trim(): void {
    let keep: number;
    if (this.settings === null || !this.detector) {
      keep = this.manualStart;
    } else {
      const pending = this.detector.pendingSpeechStart;
      // With no candidate, the next may start up to LEAD_FRAMES before the frame that starts it (onset-lead.ts).
      let earliestSegment = Math.max((pending >= 0 ? pending : this.vadNext - LEAD_FRAMES * VAD_FRAME_SAMPLES) - this.prefixPaddingSamples(), this.lastSegmentEnd);
      if (this.segmentStart >= 0) earliestSegment = Math.min(earliestSegment, this.segmentStart);
      keep = Math.min(this.vadNext, earliestSegment - this.melLookBehind);
    }
    this.window.discardBefore(keep);
    if (this.mel) this.mel.discardBefore(this.firstFrameAtOrAfter(this.window.start));
  }

  private emit(event: TurnEvent): void {
    try {
      this.onEvent(event);
    } catch (error) {
      this.onError(error);
    }
  }
}

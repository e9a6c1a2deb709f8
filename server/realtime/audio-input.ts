import type { Logger } from 'pino';
import type { AudioSegment, ModelSet } from '../../models/types.js';
import type { TurnDetection } from '../../protocol/schema/session.js';
import { ProtocolError } from '../../protocol/errors.js';
import { InputAudioDecoder, InputAudioError, inputFormatSpec } from '../audio/input-decoder.js';
import { wireDurationMs } from '../audio/formats.js';
import type { InputAudioFormat, TurnEvent } from '../audio/types.js';
import { SessionEcho, type SpeechOnsetGate } from '../audio/echo/session-echo.js';

export type { TurnEvent } from '../audio/types.js';
import type { Metrics } from '../metrics.js';
import type { DuplexScheduler } from '../scheduler/duplex-scheduler.js';
import type { Conversation, StoredItem } from '../conversation/conversation.js';
import { itemToWire } from '../conversation/conversation.js';
import { newId } from '../ids.js';
import type { Outbound } from './outbound.js';
import { RateWindow } from './rate-window.js';
import { UtteranceEvents } from './utterance-events.js';
import type { SessionSettings } from './session-settings.js';
import type { AudioFormat } from '../../protocol/schema/session.js';
import type { ImageInputs } from './image-input.js';

/** How camera frames attached to a spoken query appear in items sent to the client. */
export const CAMERA_FRAME_URL = 'duet:camera-frame';

function toInputFormat(format: AudioFormat): InputAudioFormat {
  return format.type === 'audio/pcm' ? { type: 'audio/pcm', rate: format.rate ?? 24000 } : format;
}

/** The per-session audio front-end (VAD + Mel) as the session uses it. */
export interface TurnDetector {
  /** 16 kHz samples, valid only during the call (the echo path reuses the array): copy what must be kept. */
  push(samples: Float32Array): void;
  /** Manual commit: everything buffered since the last commit/clear, or null when under 100 ms. */
  commit(): AudioSegment | null;
  clear(): void;
  setTurnDetection(td: TurnDetection): void;
  /** Ends the turn at the pause under way (after pause_started), before the silence timer. */
  endTurnAtPause?(): boolean;
  /** Confirmed speech: ms of silence since its last voiced frame (0 while voiced). */
  trailingSilenceMs?(): number;
  close(): void;
}

/** `onsetGate`: the echo path's veto on speech onsets while the assistant's voice may be echoing. */
export type TurnDetectorFactory = (td: TurnDetection, onEvent: (e: TurnEvent) => void, onsetGate?: SpeechOnsetGate) => TurnDetector;

interface AudioInputDeps {
  /** The session's lifetime: ASR calls stop with it. */
  signal: AbortSignal;
  log: Logger;
  metrics: Metrics;
  outbound: Outbound;
  conversation: Conversation;
  scheduler: DuplexScheduler;
  models: ModelSet;
  settings: () => SessionSettings;
  maxAudioSecondsPerSecond: number;
  makeDetector: TurnDetectorFactory;
  /** Camera frames: the ones captured during an utterance go with it (VITA). */
  images: ImageInputs;
}

/** Client audio -> 16 kHz float -> VAD/turns -> committed items -> the scheduler. */
export class AudioInput {
  /**
   * Decoder and detector are made on the first audio: a text-only session never holds a
   * resampler, VAD state, a Mel ring or a sample window (about 195 KiB), which also keeps
   * session churn from feeding the major GC.
   */
  private decoder: InputAudioDecoder | null = null;
  private detector: TurnDetector | null = null;
  private readonly rate: RateWindow;
  private pendingItemId: string | null = null;
  /** Events of the utterance in progress (from speech_started to its segment). */
  private utterance: UtteranceEvents | null = null;
  /** 16 kHz samples handed to the detector so far: the session's audio clock. */
  private receivedSamples = 0;
  /** Wall clock (performance.now) when the current utterance began, for frame selection. */
  private utteranceStartedAt: number | null = null;
  /** The transcript of a speculative start's speech, reused when the silence timer confirms that segment. */
  private speculativeTranscript: { startMs: number; endMs: number; text: Promise<string | undefined> } | null = null;
  /** Echo cancellation of the session's own voice, before VAD and Mel (holds nothing until the session speaks). */
  readonly echo: SessionEcho;

  constructor(private readonly d: AudioInputDeps) {
    this.rate = new RateWindow(d.maxAudioSecondsPerSecond);
    this.echo = new SessionEcho({ enabled: () => d.settings().echoCancellation, metrics: d.metrics });
  }

  private ensureDetector(): TurnDetector {
    this.detector ??= this.d.makeDetector(this.d.settings().turnDetection, (e) => this.onTurnEvent(e), this.echo.onsetGate);
    return this.detector;
  }

  /** Raw input bytes in the session's input format (from base64 or a binary frame). */
  append(bytes: Uint8Array): void {
    this.decoder ??= new InputAudioDecoder(toInputFormat(this.d.settings().inputFormat));
    const seconds = wireDurationMs(inputFormatSpec(this.decoder.format), bytes.length) / 1000;
    if (!this.rate.take(seconds, performance.now())) {
      throw new ProtocolError('rate_limited', `Input audio arrives faster than ${this.d.maxAudioSecondsPerSecond}x real time; this chunk was dropped.`, 'audio');
    }
    let samples: Float32Array;
    try {
      samples = this.decoder.decode(bytes);
    } catch (err) {
      if (err instanceof InputAudioError) throw new ProtocolError('invalid_audio', err.message, 'audio');
      throw err;
    }
    this.d.metrics.audioInSeconds.inc(seconds);
    if (samples.length > 0) this.push(samples);
  }

  /** The input-audio rate window, for rate_limits.updated. */
  audioRate(nowMs: number): { limit: number; remaining: number; resetSeconds: number } {
    return this.rate.remaining(nowMs);
  }

  private push(input: Float32Array): void {
    const samples = this.echo.process(input, performance.now());
    // The input's clock, not the detector's: the echo path may hold a new answer's first frames back (deferred-frames.ts).
    this.receivedSamples += input.length;
    if (samples.length > 0) this.ensureDetector().push(samples);
  }

  /** What the echo path holds back goes on now: the client's buffer ends here (a commit or a clear). */
  private flushEcho(): void {
    const held = this.echo.flush();
    if (held.length > 0) this.ensureDetector().push(held);
  }

  commit(): void {
    this.flushEcho();
    const segment = this.detector?.commit() ?? null;
    if (!segment || segment.samples.length < 1600) throw new ProtocolError('input_audio_buffer_commit_empty', 'Buffer too small: at least 100 ms of audio is needed to commit.');
    this.commitSegment(segment);
  }

  clear(): void {
    this.flushEcho();
    this.detector?.clear();
    this.pendingItemId = null;
    this.utterance = null;
    this.speculativeTranscript = null;
    this.d.scheduler.pauseEnded();
    this.d.outbound.send({ type: 'input_audio_buffer.cleared' });
  }

  setFormat(format: AudioFormat): void {
    // Without a decoder yet there is nothing to flush; the first audio makes one in the new format.
    const tail = this.decoder?.setFormat(toInputFormat(format)) ?? new Float32Array(0);
    if (tail.length > 0) this.push(tail);
  }

  setTurnDetection(td: TurnDetection): void {
    // Without a detector yet, the first audio makes one from the current settings.
    this.detector?.setTurnDetection(td);
  }

  close(): void {
    this.detector?.close();
    this.echo.close();
  }

  /** Confirmed speech: ms of silence the VAD has heard since its last voiced frame (0 while voiced or without a VAD). */
  trailingSilenceMs(): number {
    return this.detector?.trailingSilenceMs?.() ?? 0;
  }

  private onTurnEvent(e: TurnEvent): void {
    const { outbound, scheduler } = this.d;
    switch (e.type) {
      case 'voice_onset':
        // Possible speech: the answer may pause now; nothing is announced to the client yet.
        return scheduler.voiceOnset(Math.max(0, this.receivedSamples / 16 - e.speechOnsetMs));
      case 'voice_dropped':
        return scheduler.voiceDropped();
      case 'pause_started':
        return this.onPause(e.segment);
      case 'pause_ended':
        this.speculativeTranscript = null;
        return scheduler.pauseEnded();
      case 'speech_started': {
        this.pendingItemId = newId('item');
        this.utteranceStartedAt = performance.now();
        this.d.images.beginUtterance(this.utteranceStartedAt);
        // Over an answer, a plain OpenAI client would cut playback on speech_started: in `confirmed`
        // mode the utterance's events wait for the monitor (see UtteranceEvents).
        const hold = this.d.settings().speechStarted === 'confirmed' && scheduler.answering;
        this.utterance = new UtteranceEvents((event) => outbound.send(event), hold);
        this.utterance.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: e.audioStartMs, item_id: this.pendingItemId });
        // The VAD confirms speech some time after it began (minimum speech, frame alignment): tell
        // the scheduler how long ago, on the audio clock, the speech itself started.
        return scheduler.speechStarted(e.audioStartMs, Math.max(0, this.receivedSamples / 16 - e.speechOnsetMs));
      }
      case 'speech_stopped':
        this.currentUtterance().send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: e.audioEndMs, item_id: this.pendingItemId ?? newId('item') });
        return scheduler.speechStopped();
      case 'segment':
        return this.commitSegment(e.segment);
    }
  }

  /**
   * A short pause after speech: the scheduler may start the answer now (speculative start). With
   * ASR the speech so far is transcribed first; the transcript is reused if the turn is confirmed.
   */
  private onPause(segment: AudioSegment): void {
    const { scheduler } = this.d;
    if (!scheduler.judgesPauses) return;
    const judge = (transcript: string | undefined): void =>
      void scheduler.pauseStarted(segment, transcript).then((complete) => {
        // The end-of-turn model called the turn complete: it ends now, not after the silence timer.
        if (complete && !this.d.signal.aborted) this.detector?.endTurnAtPause?.();
      });
    if (!this.d.models.asr) return judge(undefined);
    const text = this.transcribe(segment).catch(() => undefined);
    const entry = { startMs: segment.startMs, endMs: segment.endMs, text };
    this.speculativeTranscript = entry;
    void text.then((t) => {
      if (this.speculativeTranscript === entry && !this.d.signal.aborted) judge(t);
    });
  }

  private async transcribe(segment: AudioSegment): Promise<string | undefined> {
    const language = this.d.settings().transcription?.language;
    let text: string | undefined;
    for await (const ev of this.d.models.asr!.transcribe({ segment, signal: this.d.signal, ...(language ? { language } : {}) })) if (ev.type === 'done') text = ev.text;
    return text;
  }

  /** The utterance in progress, or one that announces at once (manual commit). */
  private currentUtterance(): UtteranceEvents {
    this.utterance ??= new UtteranceEvents((event) => this.d.outbound.send(event), false);
    return this.utterance;
  }

  private commitSegment(segment: AudioSegment): void {
    const { conversation } = this.d;
    const utterance = this.currentUtterance();
    this.utterance = null;
    const now = performance.now();
    const startedAt = this.utteranceStartedAt ?? now - (segment.endMs - segment.startMs);
    const frames = this.d.images.framesForUtterance(startedAt, now);
    const item: StoredItem = {
      id: this.pendingItemId ?? newId('item'),
      role: 'user',
      status: 'completed',
      parts: [
        { type: 'input_audio', transcript: null, segment },
        // Frames are reported by reference, not echoed back as megabytes of data URLs.
        ...frames.map((image) => ({ type: 'input_image' as const, imageUrl: CAMERA_FRAME_URL, image })),
      ],
    };
    this.pendingItemId = null;
    this.utteranceStartedAt = null;
    const previous = conversation.add(item);
    utterance.send({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: item.id });
    utterance.send({ type: 'conversation.item.added', previous_item_id: previous, item: itemToWire(item) });
    void this.transcribeThenDecide(item, segment, previous, utterance);
  }

  /** ASR (when configured) first: the monitor and the echo guard read the transcript. */
  private async transcribeThenDecide(item: StoredItem, segment: AudioSegment, previous: string | null, utterance: UtteranceEvents): Promise<void> {
    const asr = this.d.models.asr;
    const wantEvents = this.d.settings().transcription !== null;
    let transcript: string | undefined;
    const prepared = this.speculativeTranscript;
    this.speculativeTranscript = null;
    if (asr && prepared && prepared.startMs === segment.startMs && prepared.endMs === segment.endMs) {
      // Transcribed during the pause, when the answer was started: the same audio, not redone.
      transcript = await prepared.text;
      const part = item.parts[0];
      if (part?.type === 'input_audio') part.transcript = transcript ?? '';
      if (wantEvents) utterance.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: item.id, content_index: 0, transcript: transcript ?? '' });
    } else if (asr) {
      try {
        for await (const ev of asr.transcribe({ segment, signal: this.d.signal, ...(this.d.settings().transcription?.language ? { language: this.d.settings().transcription!.language! } : {}) })) {
          if (ev.type === 'delta' && wantEvents) {
            utterance.send({ type: 'conversation.item.input_audio_transcription.delta', item_id: item.id, content_index: 0, delta: ev.text });
          } else if (ev.type === 'done') transcript = ev.text;
        }
        const part = item.parts[0];
        if (part?.type === 'input_audio') part.transcript = transcript ?? '';
        if (wantEvents) {
          utterance.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: item.id, content_index: 0, transcript: transcript ?? '' });
        }
      } catch (err) {
        if (this.d.signal.aborted) return;
        this.d.log.warn({ err }, 'transcription failed');
      }
    }
    if (this.d.signal.aborted) return;
    utterance.send({ type: 'conversation.item.done', previous_item_id: previous, item: itemToWire(item) });
    // Manual turns (turn_detection null): the client decides with response.create.
    if (this.d.settings().turnDetection === null) return utterance.release();
    await this.d.scheduler.segment(item, segment, transcript, utterance);
  }
}

import type { Logger } from 'pino';
import type { AudioSegment, ModelInstance, ModelSet, MonitorDecision, StateToken } from '../../models/types.js';
import { STATE_TOKEN_LABEL } from '../../models/types.js';
import type { Config } from '../config/schema.js';
import type { Conversation, StoredItem } from '../conversation/conversation.js';
import type { Metrics } from '../metrics.js';
import type { EventSink } from '../response/event-sink.js';
import type { OutputChannel, PartRef } from '../response/output-channel.js';
import { ResponseRun } from '../response/response-run.js';
import type { TurnDetection } from '../../protocol/schema/session.js';
import { EchoGuard } from './echo-guard.js';

/** An utterance whose events went out as they happened. */
const ANNOUNCED: UtteranceAnnouncement = { holding: false, release: () => {}, discard: () => {} };

/** Answers kept truncatable (their speech tracks hold word timings, not audio). */
const RECENT_RUNS = 4;

export type SessionState = 'listening' | 'user_speaking' | 'thinking' | 'answering' | 'paused';

export interface ResponseOverrides {
  instructions?: string;
  modality?: 'text' | 'audio';
  maxOutputTokens?: number;
  temperature?: number;
}

/**
 * The client-facing events of one utterance, possibly held back (see realtime/utterance-events.ts):
 * released when the monitor decides to act on the speech, discarded when it is noise.
 */
export interface UtteranceAnnouncement {
  readonly holding: boolean;
  release(): void;
  discard(): void;
}

/** The part of a session's settings the scheduler reads (a SessionSettings satisfies it). */
export interface SchedulerSettings {
  instructions: string;
  outputModalities: readonly ('text' | 'audio')[];
  turnDetection: TurnDetection;
  maxOutputTokens: number | 'inf';
  temperature: number | undefined;
}

export interface SchedulerDeps {
  events: EventSink;
  /** The session's lifetime: when it aborts, the scheduler closes and everything it started stops. */
  signal: AbortSignal;
  conversation: Conversation;
  metrics: Metrics;
  log: Logger;
  models: ModelSet;
  config: Config['scheduler'];
  settings: () => SchedulerSettings;
  makeChannel: (ref: PartRef, modality: 'text' | 'audio') => OutputChannel;
  /** Modality a response really gets (audio needs a TTS). */
  resolveModality: (wanted: 'text' | 'audio') => 'text' | 'audio';
  /** Called after each response.done (the session reports its rate limits then, as OpenAI does). */
  onResponseDone?: () => void;
}

/**
 * The VITA interrupt scheduler of one session. Two model instances: one generates, the
 * other monitors each new speech segment. Speech onset during an answer pauses output;
 * the monitor's state token then resumes it (`<2>` noise) or interrupts it (`<1>`), and
 * the instance that recognised the new query answers it, so the roles swap.
 */
export class DuplexScheduler {
  private generatorIndex = 0;
  private current: ResponseRun | null = null;
  /** Recent answers, newest last: a client truncates the interrupted one after the next has started. */
  private readonly recentRuns: ResponseRun[] = [];
  private speaking = false;
  /** The answer is paused on unconfirmed speech (voiceOnset) that may still prove a blip. */
  private tentative = false;
  /** Wall-clock estimate of when the current speech began (performance.now ms). */
  private onsetAtMs = 0;
  private speechAudioStartMs = 0;
  private onsetTimer: NodeJS.Timeout | null = null;
  private pauseTimer: NodeJS.Timeout | null = null;
  private deciding = 0;
  private decisionChain: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<AbortController>();
  private readonly echo: EchoGuard;
  private closed = false;

  constructor(private readonly d: SchedulerDeps) {
    this.echo = new EchoGuard(d.config.echoGuardMs, d.config.echoSimilarity);
    d.signal.addEventListener('abort', () => this.close(), { once: true });
  }

  get state(): SessionState {
    const run = this.current;
    if (run && !run.finished) return run.paused ? 'paused' : run.sentText().length > 0 ? 'answering' : 'thinking';
    if (this.speaking) return 'user_speaking';
    return this.deciding > 0 ? 'thinking' : 'listening';
  }

  get generator(): ModelInstance | null {
    return this.d.models.instances?.[this.generatorIndex] ?? null;
  }

  get monitor(): ModelInstance | null {
    return this.d.models.instances?.[1 - this.generatorIndex] ?? null;
  }

  /** For leak tests: what this scheduler still holds. */
  pending(): { timers: number; inflightDecisions: number; activeResponse: boolean } {
    return {
      timers: (this.onsetTimer ? 1 : 0) + (this.pauseTimer ? 1 : 0),
      inflightDecisions: this.inflight.size,
      activeResponse: this.current !== null && !this.current.finished,
    };
  }

  /**
   * The first speech frame (not yet confirmed: it may be a click or a cough). With
   * `tentativePause`, the answer pauses at once; `voiceDropped` resumes it before the client's
   * buffered audio (voice.leadMs) runs out, so a blip leaves no audible gap.
   */
  voiceOnset(sinceOnsetMs = 0): void {
    if (this.closed || !this.d.config.tentativePause) return;
    const run = this.activeRun();
    if (!run || run.paused || !this.interruptAllowed()) return;
    this.onsetAtMs = performance.now() - sinceOnsetMs;
    this.tentative = true;
    this.pauseForSpeech(true);
  }

  /** The speech announced by voiceOnset ended before the VAD confirmed it. */
  voiceDropped(): void {
    if (this.closed || this.speaking) return;
    this.endTentativePause('blip');
  }

  /**
   * VAD confirmed speech. `audioStartMs` is the segment start sent to the client (with padding);
   * `sinceOnsetMs` is how long ago, on the audio clock, the speech itself began.
   */
  speechStarted(audioStartMs = 0, sinceOnsetMs = 0): void {
    if (this.closed) return;
    this.speaking = true;
    this.onsetAtMs = performance.now() - sinceOnsetMs;
    this.speechAudioStartMs = audioStartMs;
    const run = this.activeRun();
    if (!run || !this.interruptAllowed()) return;
    if (run.paused && !this.tentative) return;
    this.clearTimer('onset');
    // Minimum speech before a pause is firm, counted from the speech's start: the VAD's own
    // minimum speech usually covers it already, so the pause is firm at confirmation.
    const remainingMs = this.d.config.minInterruptSpeechMs - sinceOnsetMs;
    const firm = (): void => (run.paused ? this.confirmTentativePause() : this.pauseForSpeech(false));
    if (remainingMs <= 0) return firm();
    this.onsetTimer = setTimeout(() => {
      this.onsetTimer = null;
      firm();
    }, remainingMs);
  }

  speechStopped(): void {
    this.speaking = false;
    this.clearTimer('onset');
    // Speech too short to interrupt: a tentative pause ends here (the monitor still classifies it).
    if (this.tentative) return this.endTentativePause('short');
    // From here the monitor's decision is due; without one in time, the answer resumes.
    if (this.activeRun()?.paused) this.armPauseTimeout();
  }

  /** An answer is being generated or played (speech now would interrupt it). */
  get answering(): boolean {
    return this.activeRun() !== null;
  }

  /** A finished user speech segment, already added to the conversation as `item`. */
  segment(item: StoredItem, segment: AudioSegment, transcript: string | undefined, announcement: UtteranceAnnouncement = ANNOUNCED): Promise<void> {
    const endedAt = performance.now();
    this.deciding += 1;
    this.decisionChain = this.decisionChain.then(() => this.decide(item, segment, transcript, endedAt, announcement)).finally(() => (this.deciding -= 1));
    return this.decisionChain;
  }

  /** `response.create`: a text query (`<3>`) interrupts any answer at once. */
  createResponse(overrides: ResponseOverrides = {}): void {
    if (this.closed) return;
    const run = this.activeRun();
    if (run) {
      this.emitDecision(null, 'text', { query: 0, noise: 0, text: 1 }, 0, 'interrupt', 'text query');
      this.interrupt(run);
      this.swapRoles();
    }
    this.startResponse(performance.now(), overrides);
  }

  /** `response.cancel`; false when nothing is active. */
  cancelResponse(): boolean {
    const run = this.activeRun();
    if (!run) return false;
    this.clearTimer('onset');
    this.clearTimer('pause');
    this.tentative = false;
    this.echo.record(run.sentText());
    run.cancel('client_cancelled');
    return true;
  }

  /** Client truncate of an assistant item: cut its stored text to what was heard. */
  truncate(itemId: string, audioEndMs: number): boolean {
    const run = this.recentRuns.find((r) => r.item.id === itemId);
    return run ? run.truncate(audioEndMs) : false;
  }

  /** Lets the current answer finish (graceful drain), then resolves. */
  async settle(): Promise<void> {
    await this.decisionChain;
    if (this.current) await this.current.done;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer('onset');
    this.clearTimer('pause');
    for (const controller of this.inflight) controller.abort();
    this.inflight.clear();
    this.current?.cancel('session_closed');
  }

  private async decide(item: StoredItem, segment: AudioSegment, transcript: string | undefined, endedAtMs: number, announcement: UtteranceAnnouncement): Promise<void> {
    if (this.closed) return;
    const monitor = this.monitor;
    const td = this.d.settings().turnDetection;
    if (!monitor) {
      announcement.release();
      if (td?.create_response) this.d.events.error('model_unavailable', 'No chat model is loaded: speech was committed but cannot be answered.');
      return;
    }
    let decision: MonitorDecision;
    let reason: string | undefined;
    if (transcript && this.echo.matches(transcript, this.activeRun()?.sentText())) {
      decision = { token: 'noise', probabilities: { query: 0, noise: 1, text: 0 }, elapsedMs: 0 };
      reason = 'echo of the assistant';
    } else {
      const controller = new AbortController();
      this.inflight.add(controller);
      try {
        const history = this.d.conversation.toMessages({ lastItems: this.d.config.historyTurns * 2 }).slice(0, -1);
        const signal = AbortSignal.any([controller.signal, this.d.signal]);
        decision = await monitor.classify({ segment, history, signal, ...(transcript ? { transcript } : {}) });
      } catch (err) {
        if (controller.signal.aborted || this.closed) return;
        this.d.log.warn({ err }, 'monitor failed; treating the segment as a query');
        decision = { token: 'query', probabilities: { query: 1, noise: 0, text: 0 }, elapsedMs: 0 };
        reason = 'monitor failed';
      } finally {
        this.inflight.delete(controller);
      }
      this.d.metrics.monitorDecisionMs.observe(decision.elapsedMs);
    }
    if (this.closed) return;
    this.d.metrics.monitorDecisions.inc({ state: STATE_TOKEN_LABEL[decision.token] });
    const run = this.activeRun();
    if (decision.token !== 'noise') announcement.release();
    if (decision.token === 'noise') {
      if (announcement.holding) {
        // The client never heard of this speech: it leaves no trace in the conversation either (VITA drops noise).
        announcement.discard();
        if (this.d.conversation.get(item.id)) this.d.conversation.delete(item.id);
      }
      this.emitDecision(item.id, 'noise', decision.probabilities, decision.elapsedMs, run ? 'resume' : 'ignore', reason);
      if (run?.paused) {
        this.d.metrics.falseInterruptions.inc();
        this.resume(run, 'noise');
      }
      return;
    }
    if (run) {
      if (!this.interruptAllowed()) return this.emitDecision(item.id, decision.token, decision.probabilities, decision.elapsedMs, 'ignore', 'interrupt_response is off');
      this.emitDecision(item.id, decision.token, decision.probabilities, decision.elapsedMs, 'interrupt', reason);
      this.interrupt(run);
    } else {
      this.emitDecision(item.id, decision.token, decision.probabilities, decision.elapsedMs, 'answer', reason);
    }
    if (!td?.create_response) return;
    this.swapRoles();
    this.startResponse(endedAtMs);
  }

  private startResponse(latencyFromMs: number, overrides: ResponseOverrides = {}): void {
    const generator = this.generator;
    if (!generator) {
      this.d.events.error('model_unavailable', 'No chat model is loaded; see /readyz.');
      return;
    }
    const s = this.d.settings();
    const modality = this.d.resolveModality(overrides.modality ?? (s.outputModalities.includes('audio') ? 'audio' : 'text'));
    const maxTokens = overrides.maxOutputTokens ?? (s.maxOutputTokens === 'inf' ? undefined : s.maxOutputTokens);
    const temperature = overrides.temperature ?? s.temperature;
    const run = new ResponseRun({
      events: this.d.events,
      sessionSignal: this.d.signal,
      conversation: this.d.conversation,
      metrics: this.d.metrics,
      log: this.d.log,
      generator,
      messages: this.d.conversation.toMessages({ keepImagesInLast: 1 }),
      instructions: overrides.instructions ?? s.instructions,
      modality,
      maxOutputTokens: maxTokens,
      temperature,
      latencyFromMs,
      makeChannel: (ref) => this.d.makeChannel(ref, modality),
    });
    this.current = run;
    this.recentRuns.push(run);
    if (this.recentRuns.length > RECENT_RUNS) this.recentRuns.shift();
    run.start();
    void run.done.then(() => {
      this.echo.record(run.sentText());
      this.d.onResponseDone?.();
      if (this.current === run) {
        this.current = null;
        this.tentative = false;
        this.clearTimer('pause');
        this.clearTimer('onset');
      }
    });
  }

  private pauseForSpeech(tentative: boolean): void {
    const run = this.activeRun();
    if (!run || run.paused) return;
    run.pause();
    this.d.metrics.interruptionDetectionMs.observe(performance.now() - this.onsetAtMs);
    this.d.events.send({ type: 'duet.response.paused', response_id: run.id, audio_start_ms: this.speechAudioStartMs, tentative });
    // A tentative pause always ends (the VAD confirms or drops the speech); the timeout is the backstop.
    if (!this.speaking) this.armPauseTimeout();
  }

  /** The speech behind a tentative pause was confirmed and long enough: the pause is firm. */
  private confirmTentativePause(): void {
    if (!this.tentative) return;
    this.tentative = false;
    this.clearTimer('pause');
    this.d.metrics.tentativePauses.inc({ outcome: 'confirmed' });
  }

  /** The speech behind a tentative pause came to nothing: output goes on where it stopped. */
  private endTentativePause(outcome: 'blip' | 'short'): void {
    if (!this.tentative) return;
    this.tentative = false;
    this.clearTimer('onset');
    this.d.metrics.tentativePauses.inc({ outcome });
    const run = this.activeRun();
    if (run?.paused) this.resume(run, outcome);
  }

  private armPauseTimeout(): void {
    this.clearTimer('pause');
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      const run = this.activeRun();
      if (run?.paused && !this.speaking) this.resume(run, 'timeout');
    }, this.d.config.pauseTimeoutMs);
  }

  private resume(run: ResponseRun, reason: string): void {
    this.clearTimer('pause');
    this.tentative = false;
    // Announce first: the held deltas follow the event that says output goes on.
    const buffered = run.bufferedAudioMs();
    this.d.events.send({ type: 'duet.response.resumed', response_id: run.id, reason, ...(buffered === null ? {} : { buffered_audio_ms: Math.round(buffered) }) });
    run.resume();
  }

  private interrupt(run: ResponseRun): void {
    this.tentative = false;
    this.clearTimer('onset');
    this.clearTimer('pause');
    const { staleAudioMs } = run.cancel('turn_detected');
    this.d.events.send({ type: 'duet.output_audio.clear', response_id: run.id, stale_audio_ms: staleAudioMs });
  }

  private swapRoles(): void {
    const instances = this.d.models.instances;
    if (!instances) return;
    this.generatorIndex = 1 - this.generatorIndex;
    this.d.events.send({ type: 'duet.roles.swapped', generator: instances[this.generatorIndex]!.id, monitor: instances[1 - this.generatorIndex]!.id });
  }

  private emitDecision(itemId: string | null, token: StateToken, p: Record<StateToken, number>, elapsedMs: number, action: 'answer' | 'interrupt' | 'resume' | 'ignore', reason?: string): void {
    this.d.events.send({
      type: 'duet.monitor.state',
      item_id: itemId,
      state: STATE_TOKEN_LABEL[token],
      probabilities: { '<1>': p.query, '<2>': p.noise, '<3>': p.text },
      elapsed_ms: elapsedMs,
      action,
      ...(reason ? { reason } : {}),
    });
  }

  private interruptAllowed(): boolean {
    const td = this.d.settings().turnDetection;
    return td === null || td.interrupt_response !== false;
  }

  private activeRun(): ResponseRun | null {
    return this.current && !this.current.finished ? this.current : null;
  }

  private clearTimer(which: 'onset' | 'pause'): void {
    const key = which === 'onset' ? 'onsetTimer' : 'pauseTimer';
    const timer = this[key];
    if (timer) clearTimeout(timer);
    this[key] = null;
  }
}

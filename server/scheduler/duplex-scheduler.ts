import type { Logger } from 'pino';
import type { AudioSegment, ModelInstance, ModelSet, MonitorDecision, MonitorOutcome } from '../../models/types.js';
import { MONITOR_OUTCOME_LABEL } from '../../models/types.js';
import type { Config } from '../config/schema.js';
import type { Conversation, StoredItem } from '../conversation/conversation.js';
import type { Metrics } from '../metrics.js';
import type { EventSink } from '../response/event-sink.js';
import type { OutputChannel, PartRef } from '../response/output-channel.js';
import { ResponseRun } from '../response/response-run.js';
import type { TurnDetection } from '../../protocol/schema/session.js';
import { EchoGuard } from './echo-guard.js';
import { BackchannelClassifier } from '../turns/backchannel.js';
import { silenceTimerMs, turnTuning, type TurnTuning } from '../turns/eagerness.js';
import type { EndOfTurnVerdict } from '../turns/end-of-turn.js';
import { buildEndOfTurnChain, type EndOfTurnChain } from '../turns/end-of-turn-chain.js';
import { mergeSegments, mergeTranscripts, type HeldTurn, type TurnInput } from '../turns/held-turn.js';
import { HeldTurnSlot } from './held-turn-slot.js';
import { speculates, type Speculation } from '../turns/speculation.js';
import { SpeculativeStarts } from './speculative-starts.js';
import { EarlyVerdict } from './early-verdict.js';
import { AnswerPause } from './answer-pause.js';

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
  /** Its language picks the backchannel and command words. */
  transcription?: { language?: string } | null;
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
  /** The end-of-turn layer: judges, holding, speculative starts, backchannels. */
  turns: Config['turns'];
  settings: () => SchedulerSettings;
  makeChannel: (ref: PartRef, modality: 'text' | 'audio') => OutputChannel;
  /** Modality a response really gets (audio needs a TTS). */
  resolveModality: (wanted: 'text' | 'audio') => 'text' | 'audio';
  /** Called after each response.done (the session reports its rate limits then, as OpenAI does). */
  onResponseDone?: () => void;
  /** Confirmed speech: ms of silence the VAD has heard since its last voiced frame (0 while voiced; absent: always 0). */
  trailingSilenceMs?: () => number;
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
  /** When the current answer's output stops and goes on as the user speaks. */
  private readonly pause: AnswerPause;
  private deciding = 0;
  private decisionChain: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<AbortController>();
  private readonly echo: EchoGuard;
  private readonly endOfTurn: EndOfTurnChain;
  private readonly backchannels: BackchannelClassifier | null;
  /** A turn judged incomplete, waiting for the rest of the speech (at most the tuning's holdMs). */
  private readonly held: HeldTurnSlot;
  /** An answer prepared during the current pause, not yet released. */
  private readonly speculative: SpeculativeStarts;
  /** The monitor's verdict on speech over a paused answer, from its first short pause. */
  private readonly earlyVerdict = new EarlyVerdict();
  /** Bumped when speech resumes: a speculative start still being judged is then dropped. */
  private pauseGeneration = 0;
  private closed = false;

  constructor(private readonly d: SchedulerDeps) {
    this.echo = new EchoGuard(d.config.echoGuardMs, d.config.echoSimilarity);
    this.held = new HeldTurnSlot({
      conversation: d.conversation,
      events: d.events,
      metrics: d.metrics,
      mayExpire: () => !this.pause.speaking && !this.closed,
      expire: (held) => void this.enqueue(() => this.decide(held, held)),
    });
    this.pause = new AnswerPause({ events: d.events, metrics: d.metrics, config: d.config, activeRun: () => this.activeRun(), interruptAllowed: () => this.interruptAllowed(), trailingSilenceMs: () => d.trailingSilenceMs?.() ?? 0 });
    this.endOfTurn = buildEndOfTurnChain(d.turns, { model: d.models.endOfTurn, silenceMs: () => this.silenceMs(), modelThreshold: () => this.tuning().modelThreshold });
    this.backchannels = d.turns.backchannels ? new BackchannelClassifier(d.turns.backchannelWords, d.turns.commandWords) : null;
    this.speculative = new SpeculativeStarts({ conversation: d.conversation, metrics: d.metrics, signal: d.signal, historyTurns: d.config.historyTurns });
    d.signal.addEventListener('abort', () => this.close(), { once: true });
  }

  get state(): SessionState {
    const run = this.current;
    if (run && !run.finished) return run.paused ? 'paused' : run.sentText().length > 0 ? 'answering' : 'thinking';
    if (this.pause.speaking) return 'user_speaking';
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
      timers: this.pause.timers + (this.held.armed ? 1 : 0),
      inflightDecisions: this.inflight.size,
      activeResponse: this.current !== null && !this.current.finished,
    };
  }

  /** The first speech frame (not yet confirmed): the answer may pause tentatively (AnswerPause). */
  voiceOnset(sinceOnsetMs = 0): void {
    if (!this.closed) this.pause.voiceOnset(sinceOnsetMs);
  }

  /** The speech announced by voiceOnset ended before the VAD confirmed it. */
  voiceDropped(): void {
    if (!this.closed) this.pause.voiceDropped();
  }

  /**
   * VAD confirmed speech. `audioStartMs` is the segment start sent to the client (with padding);
   * `sinceOnsetMs` is how long ago, on the audio clock, the speech itself began.
   */
  speechStarted(audioStartMs = 0, sinceOnsetMs = 0): void {
    if (this.closed) return;
    // More speech: a held turn waits for its segment (it merges), a speculative answer is void.
    this.held.disarm();
    this.pauseEnded();
    this.pause.speechStarted(audioStartMs, sinceOnsetMs);
  }

  speechStopped(): void {
    this.pause.speechStopped();
    // The segment that merges into the held turn follows (after ASR); this is only the backstop.
    const held = this.held.turn;
    if (held && !this.held.armed) this.held.arm(Math.max(this.holdLeft(held), 1000));
  }

  /** An answer is being generated or played (speech now would interrupt it). */
  get answering(): boolean {
    return this.activeRun() !== null;
  }

  /** A finished user speech segment, already added to the conversation as `item`. */
  segment(item: StoredItem, segment: AudioSegment, transcript: string | undefined, announcement: UtteranceAnnouncement = ANNOUNCED): Promise<void> {
    const endedAtMs = performance.now();
    return this.enqueue(() => this.decide({ item, segment, transcript, announcement, endedAtMs }));
  }

  /** Whether pauses are judged at all (the end-of-turn model, or speculative starts). */
  get judgesPauses(): boolean {
    return !this.closed && (this.endOfTurn.has('model') || this.canSpeculate() || this.judgesEarly());
  }

  /**
   * The front-end saw a short pause (turns.speculativePauseMs) after speech; `piece` is the speech
   * so far, exactly the segment the silence timer will produce if the pause goes on. The
   * end-of-turn model (when loaded) judges it now: true means the turn is complete and should end
   * here, before the timer. With turns.speculative (and the model's probability, when loaded, at
   * or above the speculative threshold) the monitor decision and the answer start now, unreleased.
   */
  async pauseStarted(piece: AudioSegment, pieceTranscript: string | undefined): Promise<boolean> {
    if (this.closed) return false;
    const generation = this.pauseGeneration;
    if (this.judgesEarly()) {
      this.judgeEarly(piece, pieceTranscript, generation);
      return false;
    }
    // After a held piece, the turn is both pieces: judge and prepare the merged speech.
    const held = this.held.turn;
    const segment = held ? mergeSegments(held.segment, piece) : piece;
    const transcript = held ? mergeTranscripts(held.transcript, pieceTranscript) : pieceTranscript;
    let complete = false;
    if (this.endOfTurn.has('model')) {
      const verdict = await this.endOfTurn.judge({ segment, pauseMs: this.d.turns.speculativePauseMs }, ['model']);
      if (generation !== this.pauseGeneration || this.held.turn !== held || this.closed) return false;
      complete = verdict?.state === 'complete';
      if (!verdict || verdict.probability < this.tuning().speculativeThreshold) return complete;
    }
    if (this.canSpeculate()) this.speculate(segment, transcript, held);
    return complete;
  }

  /** Prepares the answer to the speech so far on the monitor (SpeculativeStarts.start). */
  private speculate(segment: AudioSegment, transcript: string | undefined, held: HeldTurn | null, over: ResponseRun | null = null): Speculation {
    const plan = this.responsePlan({});
    const request = { instructions: plan.instructions, ...(plan.maxOutputTokens !== undefined ? { maxOutputTokens: plan.maxOutputTokens } : {}), ...(plan.temperature !== undefined ? { temperature: plan.temperature } : {}) };
    return this.speculative.start({ segment, transcript, instance: this.monitor!, held, over, allowIncomplete: this.asksIncomplete, request });
  }

  /** Speech resumed after a pause: a speculative answer is discarded without a trace. */
  pauseEnded(): void {
    this.pauseGeneration += 1;
    this.speculative.discard();
    this.earlyVerdict.cancel();
    // The answer went on at the pause on the monitor's early word: the speech went on too, so it pauses again.
    this.pause.speechWentOn();
  }

  /** Whether monitor decisions may say `incomplete` (the monitor is one of the end-of-turn judges). */
  private get asksIncomplete(): boolean {
    return this.endOfTurn.has('monitor');
  }

  /** An answer is paused on speech that has just paused: the monitor may judge it now (EarlyVerdict). */
  private judgesEarly(): boolean {
    return this.d.config.earlyVerdict && !this.closed && this.held.turn === null && this.monitor !== null && this.activeRun()?.paused === true && !this.pause.tentative;
  }

  private judgeEarly(piece: AudioSegment, transcript: string | undefined, generation: number): void {
    const goOn = (reason: string): void => {
      const run = this.activeRun();
      if (generation !== this.pauseGeneration || this.closed || !run?.paused) return;
      // The answer goes on: one prepared to replace it is void.
      this.speculative.discard();
      this.d.metrics.falseInterruptions.inc();
      this.pause.resume(run, reason, true);
    };
    // With a transcript, a backchannel needs no model at all.
    if (this.backchannels?.classify(transcript, this.d.settings().transcription?.language) === 'backchannel') return goOn('backchannel');
    const monitor = this.monitor!;
    const run = this.activeRun()!;
    // With speculative starts, the answer to the interruption is prepared along with the verdict
    // (the speculation's decision is the verdict: one monitor call either way).
    const decision = this.canSpeculateOverAnswer()
      ? this.earlyVerdict.start(piece, () => this.speculate(piece, transcript, null, run).decision)
      : this.earlyVerdict.start(piece, (signal) =>
          monitor.classify({
            segment: piece,
            history: this.d.conversation.toMessages({ lastItems: this.d.config.historyTurns * 2 }),
            signal: AbortSignal.any([signal, this.d.signal]),
            allowIncomplete: this.asksIncomplete,
            ...(transcript ? { transcript } : {}),
          }),
        );
    decision.then(
      (d) => d.token === 'noise' && goOn('noise'),
      () => {},
    );
  }

  /** Whether a pause now would start a speculative answer (lets the caller skip preparing one). */
  get wouldSpeculate(): boolean {
    return this.canSpeculate();
  }

  private canSpeculate(): boolean {
    return this.speculationAllowed() && this.activeRun() === null;
  }

  /** Over an answer paused on speech (judgesEarly holds): the speech would interrupt it. */
  private canSpeculateOverAnswer(): boolean {
    return this.speculationAllowed() && this.activeRun()?.paused === true && this.interruptAllowed();
  }

  private speculationAllowed(): boolean {
    const td = this.d.settings().turnDetection;
    return speculates(this.d.turns, this.endOfTurn.has('model')) && !this.closed && !this.speculative.pending && this.deciding === 0 && this.monitor !== null && td !== null && td?.create_response !== false;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.deciding += 1;
    this.decisionChain = this.decisionChain.then(step).finally(() => (this.deciding -= 1));
    return this.decisionChain;
  }

  /** `response.create`: a text query (`<3>`) interrupts any answer at once. */
  createResponse(overrides: ResponseOverrides = {}): void {
    if (this.closed) return;
    // The client asks for an answer now: a held turn (already in the conversation) is part of it.
    this.held.drop();
    this.pauseEnded();
    const run = this.activeRun();
    if (run) {
      this.emitDecision(null, 'text', { query: 0, noise: 0, text: 1 }, 0, 'interrupt', 'text query');
      this.pause.interrupt(run);
      this.swapRoles();
    }
    this.startResponse(performance.now(), overrides);
  }

  /** `response.cancel`; false when nothing is active. */
  cancelResponse(): boolean {
    const run = this.activeRun();
    if (!run) return false;
    this.pause.reset();
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
    this.pause.close();
    this.held.clear();
    this.pauseEnded();
    for (const controller of this.inflight) controller.abort();
    this.inflight.clear();
    this.current?.cancel('session_closed');
  }

  private async decide(input: TurnInput, forced: HeldTurn | null = null): Promise<void> {
    if (this.closed) return;
    const monitor = this.monitor;
    const td = this.d.settings().turnDetection;
    if (!monitor) {
      input.announcement.release();
      if (td?.create_response) this.d.events.error('model_unavailable', 'No chat model is loaded: speech was committed but cannot be answered.');
      return;
    }
    const turn = forced ? input : this.held.mergeInto(input);
    const { item, segment, transcript, announcement } = turn;
    const speculation = this.speculative.take(turn, this.monitor, this.activeRun()?.sentText() ?? null);
    let decision: MonitorDecision;
    let reason: string | undefined;
    const shortUtterance = this.backchannels?.classify(transcript, this.d.settings().transcription?.language) ?? null;
    if (transcript && this.echo.matches(transcript, this.activeRun()?.sentText())) {
      decision = { token: 'noise', probabilities: { query: 0, noise: 1, text: 0 }, elapsedMs: 0 };
      reason = 'echo of the assistant';
    } else if (shortUtterance === 'command') {
      // "stop", "wait": always a query, and no model time spent deciding it.
      decision = { token: 'query', probabilities: { query: 1, noise: 0, text: 0 }, elapsedMs: 0 };
      reason = 'command';
      this.d.metrics.backchannels.inc({ kind: 'command' });
    } else if (shortUtterance === 'backchannel' && this.activeRun()) {
      decision = { token: 'noise', probabilities: { query: 0, noise: 1, text: 0 }, elapsedMs: 0 };
      reason = 'backchannel';
      this.d.metrics.backchannels.inc({ kind: 'backchannel' });
    } else {
      // The audio end-of-turn model first: cheap, and a turn it holds costs no monitor call.
      const evidence = { segment, pauseMs: this.silenceMs() };
      if (!forced && this.holdLeft(turn) > 0) {
        const verdict = await this.endOfTurn.judge(evidence, ['model']);
        if (this.closed) return;
        if (verdict?.state === 'incomplete') {
          this.speculative.drop(speculation);
          return this.hold(turn, verdict);
        }
      }
      const classified = forced?.decision ? { decision: forced.decision, reason: 'hold bound reached' } : await this.classify(monitor, turn, speculation);
      if (!classified) return;
      ({ decision, reason } = classified);
      if (decision.token === 'incomplete') {
        const verdict = forced || this.holdLeft(turn) <= 0 ? null : await this.endOfTurn.judge({ ...evidence, decision }, ['monitor']);
        if (verdict?.state === 'incomplete') {
          this.speculative.drop(speculation);
          this.d.metrics.monitorDecisions.inc({ state: MONITOR_OUTCOME_LABEL.incomplete });
          this.emitDecision(item.id, 'incomplete', decision.probabilities, decision.elapsedMs, 'wait');
          return this.hold(turn, verdict, decision);
        }
        // Not a judge here, or the hold bound is spent: the speech is answered as it is.
        decision = { ...decision, token: 'query' };
        reason ??= forced ? 'hold bound reached' : 'incomplete, not held';
      }
    }
    if (this.closed) return;
    this.d.metrics.monitorDecisions.inc({ state: MONITOR_OUTCOME_LABEL[decision.token] });
    const run = this.activeRun();
    if (decision.token !== 'noise') announcement.release();
    if (decision.token === 'noise') {
      this.speculative.drop(speculation);
      if (announcement.holding) {
        // The client never heard of this speech: it leaves no trace in the conversation either (VITA drops noise).
        announcement.discard();
        if (this.d.conversation.get(item.id)) this.d.conversation.delete(item.id);
      }
      this.emitDecision(item.id, 'noise', decision.probabilities, decision.elapsedMs, run ? 'resume' : 'ignore', reason);
      if (run?.paused) {
        this.d.metrics.falseInterruptions.inc();
        this.pause.resume(run, 'noise');
      }
      return;
    }
    if (run) {
      if (!this.interruptAllowed()) {
        this.speculative.drop(speculation);
        return this.emitDecision(item.id, decision.token, decision.probabilities, decision.elapsedMs, 'ignore', 'interrupt_response is off');
      }
      this.emitDecision(item.id, decision.token, decision.probabilities, decision.elapsedMs, 'interrupt', reason);
      this.pause.interrupt(run);
    } else {
      this.emitDecision(item.id, decision.token, decision.probabilities, decision.elapsedMs, 'answer', reason);
    }
    if (!td?.create_response) return this.speculative.drop(speculation);
    this.swapRoles();
    if (speculation) this.speculative.used();
    this.startResponse(turn.endedAtMs, {}, speculation?.adopt());
  }

  /** The monitor's decision on a turn (the speculative one when the turn was prepared); null when aborted. */
  private async classify(monitor: ModelInstance, turn: TurnInput, speculation: Speculation | null): Promise<{ decision: MonitorDecision; reason?: string } | null> {
    const controller = new AbortController();
    this.inflight.add(controller);
    let result: { decision: MonitorDecision; reason?: string };
    try {
      const early = this.earlyVerdict.take(turn.segment);
      if (speculation) {
        result = { decision: await speculation.decision };
      } else if (early) {
        result = { decision: await early };
      } else {
        const history = this.d.conversation.toMessages({ lastItems: this.d.config.historyTurns * 2 }).slice(0, -1);
        const signal = AbortSignal.any([controller.signal, this.d.signal]);
        result = { decision: await monitor.classify({ segment: turn.segment, history, signal, allowIncomplete: this.asksIncomplete, ...(turn.transcript ? { transcript: turn.transcript } : {}) }) };
      }
    } catch (err) {
      if (controller.signal.aborted || this.closed) return null;
      this.d.log.warn({ err }, 'monitor failed; treating the segment as a query');
      result = { decision: { token: 'query', probabilities: { query: 1, noise: 0, text: 0 }, elapsedMs: 0 }, reason: 'monitor failed' };
    } finally {
      this.inflight.delete(controller);
    }
    this.d.metrics.monitorDecisionMs.observe(result.decision.elapsedMs);
    return this.closed ? null : result;
  }

  /** The turn is incomplete: no answer, no takeover, until more speech merges or the bound runs out. */
  private hold(turn: TurnInput, verdict: EndOfTurnVerdict, decision?: MonitorDecision): void {
    this.held.hold(turn, verdict, decision, this.holdLeft(turn), !this.pause.speaking);
  }

  private holdLeft(turn: TurnInput): number {
    return this.tuning().holdMs - (performance.now() - turn.endedAtMs);
  }

  private tuning(): TurnTuning {
    return turnTuning(this.d.settings().turnDetection, this.d.turns);
  }

  /** The silence that ends a turn by the timer alone (the VAD's silence duration). */
  private silenceMs(): number {
    return silenceTimerMs(this.d.settings().turnDetection);
  }

  /** What a response is generated with (a speculative start uses the same). */
  private responsePlan(overrides: ResponseOverrides): { modality: 'text' | 'audio'; instructions: string; maxOutputTokens: number | undefined; temperature: number | undefined } {
    const s = this.d.settings();
    return {
      modality: this.d.resolveModality(overrides.modality ?? (s.outputModalities.includes('audio') ? 'audio' : 'text')),
      instructions: overrides.instructions ?? s.instructions,
      maxOutputTokens: overrides.maxOutputTokens ?? (s.maxOutputTokens === 'inf' ? undefined : s.maxOutputTokens),
      temperature: overrides.temperature ?? s.temperature,
    };
  }

  private startResponse(latencyFromMs: number, overrides: ResponseOverrides = {}, prepared?: ModelInstance): void {
    const generator = prepared ?? this.generator;
    if (!generator) {
      this.d.events.error('model_unavailable', 'No chat model is loaded; see /readyz.');
      return;
    }
    const { modality, instructions, maxOutputTokens: maxTokens, temperature } = this.responsePlan(overrides);
    const run = new ResponseRun({
      events: this.d.events,
      sessionSignal: this.d.signal,
      conversation: this.d.conversation,
      metrics: this.d.metrics,
      log: this.d.log,
      generator,
      messages: this.d.conversation.toMessages({ keepImagesInLast: 1 }),
      instructions,
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
        this.pause.reset();
      }
    });
  }

  private swapRoles(): void {
    const instances = this.d.models.instances;
    if (!instances) return;
    this.generatorIndex = 1 - this.generatorIndex;
    this.d.events.send({ type: 'duet.roles.swapped', generator: instances[this.generatorIndex]!.id, monitor: instances[1 - this.generatorIndex]!.id });
  }

  private emitDecision(itemId: string | null, token: MonitorOutcome, p: MonitorDecision['probabilities'], elapsedMs: number, action: 'answer' | 'interrupt' | 'resume' | 'ignore' | 'wait', reason?: string): void {
    this.d.events.send({
      type: 'duet.monitor.state',
      item_id: itemId,
      state: MONITOR_OUTCOME_LABEL[token],
      probabilities: { '<1>': p.query, '<2>': p.noise, '<3>': p.text, ...(p.incomplete !== undefined ? { '<4>': p.incomplete } : {}) },
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
}

import type { Logger } from 'pino';
import type { WebSocket, RawData } from 'ws';
import type { Config } from '../config/schema.js';
import type { ModelSet } from '../../models/types.js';
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../../protocol/errors.js';
import type { ClientEvent } from '../../protocol/schema/client-events.js';
import type { Metrics } from '../metrics.js';
import { DuplexScheduler } from '../scheduler/duplex-scheduler.js';
import { errorCodeOf } from '../response/error-code.js';
import { AudioInput, type TurnDetectorFactory } from './audio-input.js';
import { Conversation, HeldBytes } from '../conversation/conversation.js';
import { newId } from '../ids.js';
import { ImageInputs } from './image-input.js';
import { parseTextFrame } from './inbound.js';
import { Outbound, type Corkable } from './outbound.js';
import { RateWindow } from './rate-window.js';
import { RefusalNotice } from './refusal-notice.js';
import { sendError } from './send-error.js';
import type { SessionContext } from './session-context.js';
import { defaultSettings, toSessionObject, type SessionSettings } from './session-settings.js';
import type { ChannelFactory } from './channel-factory.js';
import type { EventSink } from '../response/event-sink.js';
import { handleSessionUpdate } from './handlers/session-update.js';
import { handleAppend, handleClear, handleCommit } from './handlers/input-audio.js';
import { handleItemCreate, handleItemDelete, handleItemRetrieve, handleItemTruncate } from './handlers/items.js';
import { handleOutputAudioBufferClear, handleResponseCancel, handleResponseCreate } from './handlers/responses.js';
import { handleImageAppend } from './handlers/images.js';

export interface SessionDeps {
  config: Config;
  models: ModelSet;
  metrics: Metrics;
  log: Logger;
  beta: boolean;
  makeDetector: TurnDetectorFactory;
  makeChannel: ChannelFactory;
  onClosed: (session: RealtimeSession) => void;
  /** The socket under the WebSocket, so each tick's events leave in one write (see Outbound). */
  transport?: Corkable;
  /** The server-wide account of conversation bytes (limits.maxServerHeldBytes). */
  held?: HeldBytes;
}

function assertNever(event: never): never {
  throw new Error(`no handler for client event ${(event as { type?: string }).type}`);
}

/** Events waiting to be handled beyond this are refused (a client flooding the session). */
const MAX_QUEUED_EVENTS = 512;
/**
 * A slow consumer's close frame waits behind what it has not read; a client that reads again
 * gets it (1008) within this, one that never does is cut off (terminate) after it.
 */
const SLOW_CONSUMER_CLOSE_GRACE_MS = 5000;

/**
 * One WebSocket session: isolated settings, conversation, audio and scheduler. Events are
 * handled strictly in arrival order; everything is released in close(), whatever the cause.
 */
export class RealtimeSession implements SessionContext {
  readonly id = newId('sess');
  readonly log: Logger;
  readonly config: Config;
  readonly models: ModelSet;
  readonly metrics: Metrics;
  readonly outbound: Outbound;
  /** The narrow port the scheduler, responses and audio input send through. */
  readonly events: EventSink;
  /** Aborted in close(): every decision, response, speech track and ASR call derives from it. */
  private readonly lifetime = new AbortController();
  readonly conversation: Conversation;
  readonly scheduler: DuplexScheduler;
  readonly audio: AudioInput;
  readonly images: ImageInputs;
  settings: SessionSettings;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly eventRate: RateWindow;
  private readonly byteRate: RateWindow;
  /** Refusals for rate, told at most once a second (refusal-notice.ts). */
  private readonly refusals: RefusalNotice;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: SessionDeps,
  ) {
    const { config, models, metrics } = deps;
    this.config = config;
    this.models = models;
    this.metrics = metrics;
    this.log = deps.log.child({ session_id: this.id });
    const vad = config.audio.vad;
    this.settings = defaultSettings('duet', models.tts ? (config.models.tts?.defaultVoice ?? 'en-us') : 'none', {
      threshold: vad.threshold,
      prefixPaddingMs: vad.prefixPaddingMs,
      silenceDurationMs: vad.silenceDurationMs,
    });
    this.conversation = new Conversation({
      maxBytes: config.limits.maxSessionHeldBytes,
      server: deps.held ?? new HeldBytes(config.limits.maxServerHeldBytes),
    });
    this.eventRate = new RateWindow(config.limits.maxEventsPerSecond);
    this.byteRate = new RateWindow(config.limits.maxInputBytesPerSecond);
    this.refusals = new RefusalNotice({ send: (message) => this.error('rate_limited', message) });
    this.outbound = new Outbound(socket, {
      beta: deps.beta,
      maxQueuedBytes: config.limits.sendQueueBytes,
      metrics,
      onOverflow: () => this.close('slow_consumer', 1008, 'send queue overflow: the client is not reading'),
      ...(deps.transport ? { transport: deps.transport } : {}),
    });
    this.events = {
      send: (event) => void this.outbound.send(event),
      error: (code, message, param = null, eventId = null) => sendError(this.outbound, metrics, code, message, param, eventId),
    };
    this.scheduler = new DuplexScheduler({
      events: this.events,
      signal: this.lifetime.signal,
      conversation: this.conversation,
      metrics,
      log: this.log,
      models,
      config: config.scheduler,
      turns: config.turns,
      settings: () => this.settings,
      makeChannel: (ref, modality) => deps.makeChannel({ ref, modality, session: this }),
      resolveModality: (wanted) => (wanted === 'audio' && models.tts ? 'audio' : 'text'),
      onResponseDone: () => this.sendRateLimits(),
      trailingSilenceMs: () => this.audio.trailingSilenceMs(),
    });
    this.images = new ImageInputs(config.vision);
    this.audio = new AudioInput({
      signal: this.lifetime.signal,
      log: this.log,
      metrics,
      outbound: this.outbound,
      conversation: this.conversation,
      scheduler: this.scheduler,
      models,
      settings: () => this.settings,
      maxAudioSecondsPerSecond: config.limits.maxInputAudioSecondsPerSecond,
      makeDetector: deps.makeDetector,
      images: this.images,
    });
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', () => this.close('client_closed'));
    // Frame errors are logged once, by the route's socket error handler (onSocketError).
    socket.on('error', () => this.close('socket_error'));
    metrics.activeSessions.inc();
    this.touch();
    this.outbound.send({ type: 'session.created', session: toSessionObject(this.id, this.settings, models.status()) });
    this.log.info({ beta: deps.beta }, 'session opened');
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.touch();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const now = performance.now();
    if (!this.eventRate.take(1, now)) {
      return this.refusals.refuse(`More than ${this.config.limits.maxEventsPerSecond} events per second; event dropped.`);
    }
    if (!this.byteRate.take(bytes.length, now)) {
      return this.refusals.refuse(`More than ${this.config.limits.maxInputBytesPerSecond} bytes per second; message of ${bytes.length} bytes dropped.`);
    }
    if (this.queued >= MAX_QUEUED_EVENTS) return this.refusals.refuse('Too many events waiting to be handled; event dropped.');
    if (isBinary) {
      if (bytes.length > this.config.limits.maxMessageBytes) {
        return this.error('message_too_large', `Binary message of ${bytes.length} bytes exceeds the limit of ${this.config.limits.maxMessageBytes}.`);
      }
      return this.enqueue(null, () => (this.images.expectingBinary ? this.images.appendFrame(bytes) : this.audio.append(bytes)));
    }
    const parsed = parseTextFrame(bytes, this.config.limits);
    if (!parsed.ok) return this.error(parsed.error.code, parsed.error.message, parsed.error.param ?? null, parsed.eventId);
    const event = parsed.event;
    this.metrics.eventsIn.inc(event.type);
    this.enqueue(event.event_id ?? null, () => this.dispatch(event));
  }

  private enqueue(eventId: string | null, work: () => void | Promise<void>): void {
    this.queued += 1;
    this.queue = this.queue
      .then(() => (this.closed ? undefined : work()))
      .catch((err: unknown) => this.handleFailure(err, eventId))
      .finally(() => (this.queued -= 1));
  }

  private dispatch(event: ClientEvent): void | Promise<void> {
    switch (event.type) {
      case 'session.update':
        return handleSessionUpdate(this, event);
      case 'input_audio_buffer.append':
        return handleAppend(this, event);
      case 'input_audio_buffer.commit':
        return handleCommit(this);
      case 'input_audio_buffer.clear':
        return handleClear(this);
      case 'conversation.item.create':
        return handleItemCreate(this, event);
      case 'conversation.item.truncate':
        return handleItemTruncate(this, event);
      case 'conversation.item.delete':
        return handleItemDelete(this, event);
      case 'conversation.item.retrieve':
        return handleItemRetrieve(this, event);
      case 'output_audio_buffer.clear':
        return handleOutputAudioBufferClear();
      case 'response.create':
        return handleResponseCreate(this, event);
      case 'response.cancel':
        return handleResponseCancel(this);
      case 'duet.input_image.append':
        return handleImageAppend(this, event);
      default:
        // Every client event with a schema has a handler: a new schema without one fails the type-check here.
        return assertNever(event);
    }
  }

  private sendRateLimits(): void {
    const now = performance.now();
    const events = this.eventRate.remaining(now);
    const bytes = this.byteRate.remaining(now);
    const audio = this.audio.audioRate(now);
    this.outbound.send({
      type: 'rate_limits.updated',
      rate_limits: [
        { name: 'events', limit: events.limit, remaining: events.remaining, reset_seconds: events.resetSeconds },
        { name: 'input_bytes', limit: bytes.limit, remaining: bytes.remaining, reset_seconds: bytes.resetSeconds },
        { name: 'input_audio_seconds', limit: audio.limit, remaining: Math.round(audio.remaining * 1000) / 1000, reset_seconds: audio.resetSeconds },
      ],
    });
  }

  private handleFailure(err: unknown, eventId: string | null): void {
    if (err instanceof ProtocolError) return this.error(err.code, err.message, err.param ?? null, eventId);
    const code = errorCodeOf(err);
    if (code === 'model_error') {
      this.log.error({ err }, 'event handler failed');
      return this.error('internal_error', 'Internal error while handling the event; the session goes on.', null, eventId);
    }
    this.error(code, (err as Error).message, null, eventId);
  }

  private error(code: ErrorCode, message: string, param: string | null = null, eventId: string | null = null): void {
    sendError(this.outbound, this.metrics, code, message, param, eventId);
  }

  private touch(): void {
    const idle = this.config.limits.idleTimeoutMs;
    if (idle === 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.close('idle_timeout', 1000, 'idle timeout'), idle);
  }

  /** Drain: tell the client, let the current turn finish (up to deadlineMs), then close. */
  async drain(deadlineMs: number, reason: string): Promise<void> {
    if (this.closed) return;
    this.outbound.send({ type: 'duet.session.closing', reason, deadline_ms: deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.scheduler.settle(), new Promise((r) => (timer = setTimeout(r, deadlineMs)))]);
    clearTimeout(timer);
    this.close('server_shutdown', 1001, reason);
  }

  /** Releases everything the session holds. Idempotent. */
  close(reason: string, code = 1000, message = reason): void {
    if (this.closed) return;
    if (reason === 'idle_timeout') this.error('idle_timeout', `No message for ${this.config.limits.idleTimeoutMs} ms; closing.`);
    if (reason === 'slow_consumer') {
      // The closing error goes out before the close frame, past the queue bound for this one message.
      this.metrics.errors.inc({ code: 'slow_consumer' });
      const error = ERROR_CODES.slow_consumer;
      this.outbound.sendFinal({
        type: 'error',
        error: { type: error.type, code: 'slow_consumer', message: `More than ${this.config.limits.sendQueueBytes} bytes waited to be read; closing.`, param: null, event_id: null },
      });
    }
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.refusals.close();
    this.lifetime.abort();
    this.scheduler.close();
    this.audio.close();
    this.images.close();
    this.conversation.release();
    this.socket.removeAllListeners('message');
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, message.slice(0, 120));
      if (reason === 'slow_consumer') {
        const socket = this.socket;
        const cutOff = setTimeout(() => socket.terminate(), SLOW_CONSUMER_CLOSE_GRACE_MS);
        socket.once('close', () => clearTimeout(cutOff));
      }
    }
    this.outbound.release();
    this.metrics.activeSessions.dec();
    this.log.info({ reason }, 'session closed');
    this.deps.onClosed(this);
  }
}

import type { WebSocket } from 'ws';
import { BETA_EVENT_NAMES, type OutgoingEvent, type ResponseObject, type ServerEventType } from '../../protocol/schema/server-events.js';
import type { Item, ItemContent } from '../../protocol/schema/items.js';
import type { AudioFormat, SessionObject } from '../../protocol/schema/session.js';
import { newId } from '../ids.js';
import type { Metrics } from '../metrics.js';
import type { PartRef } from '../response/response-run.js';

export interface OutboundOptions {
  /** Client asked for the beta event names (OpenAI-Beta: realtime=v1). */
  beta: boolean;
  /** Close the session when more than this many bytes wait in the socket's send buffer. */
  maxQueuedBytes: number;
  metrics: Metrics;
  /** Called once when the queue overflows (the client stopped reading). */
  onOverflow: () => void;
  /**
   * The socket under the WebSocket. Corked while one tick's events are sent, so they leave in
   * one write: loopback and TLS writes cost a syscall each, more than the JSON itself.
   */
  transport?: Corkable;
}

/** A stream whose writes can be held and flushed together (net.Socket, tls.TLSSocket). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Stamps, renames and sends server events; enforces the bounded send queue. */
export class Outbound {
  private overflowed = false;
  private corked = false;
  private readonly flush = (): void => {
    this.corked = false;
    this.options.transport?.uncork();
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly options: OutboundOptions,
  ) {}

  get closed(): boolean {
    return this.overflowed || this.socket.readyState !== this.socket.OPEN;
  }

  /** Sends one event; returns its event_id ('' when the socket can take no more). */
  send<K extends ServerEventType>(event: OutgoingEvent<K>): string {
    if (this.closed) return '';
    const type = event.type as ServerEventType;
    const eventId = newId('event');
    // The id goes in front of the serialized event rather than into a copy of it: one object
    // fewer per event. Ids are base64url characters only, so nothing needs escaping.
    const wire = this.options.beta ? toBeta(event as OutgoingEvent) : event;
    return this.write(type, eventId, `{"event_id":"${eventId}",${JSON.stringify(wire).slice(1)}`);
  }

  /**
   * Sends the event that says why the session is being closed, past the queue bound: it is one
   * small message, and without it the client could not tell a slow_consumer close from a crash.
   */
  sendFinal<K extends ServerEventType>(event: OutgoingEvent<K>): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    const eventId = newId('event');
    this.socket.send(`{"event_id":"${eventId}",${JSON.stringify(event).slice(1)}`);
    this.options.metrics.eventsOut.inc(event.type as ServerEventType);
  }

  /**
   * Serializes a content part's delta events up to the delta itself, once per part: every
   * delta (one per token) then costs the delta's JSON and nothing else.
   */
  deltaTemplate(type: DeltaEventType, ref: PartRef): DeltaTemplate {
    const wireType = this.betaName(type) ?? type;
    const whole = JSON.stringify({ type: wireType, ...ref, delta: '' });
    return { type, head: whole.slice(1, whole.length - '""}'.length) };
  }

  /**
   * Sends one delta event made from `template`; returns its event_id ('' when the socket can take no more).
   * `jsonSafe`: the delta needs no escaping (base64 audio), so it is quoted without a scan.
   */
  sendDelta(template: DeltaTemplate, delta: string, jsonSafe = false): string {
    if (this.closed) return '';
    const eventId = newId('event');
    return this.write(template.type, eventId, `{"event_id":"${eventId}",${template.head}${jsonSafe ? `"${delta}"` : JSON.stringify(delta)}}`);
  }

  /** The beta name of an event type, for clients that asked for beta names (undefined when it has none). */
  private betaName(type: ServerEventType): string | undefined {
    return this.options.beta ? BETA_EVENT_NAMES[type] : undefined;
  }

  /** Responses between their response.created and response.done written to this client (duet_active_responses). */
  private activeResponses = 0;

  /** The session closed: responses it never saw end stop counting as active. */
  release(): void {
    this.options.metrics.activeResponses.dec(this.activeResponses);
    this.activeResponses = 0;
  }

  private write(type: ServerEventType, eventId: string, payload: string): string {
    // ws buffers without bound when the peer stops reading; bufferedAmount is what is
    // still in user space, so checking it before each send bounds memory per session.
    if (this.socket.bufferedAmount + payload.length > this.options.maxQueuedBytes) {
      this.overflowed = true;
      this.options.onOverflow();
      return '';
    }
    const transport = this.options.transport;
    if (transport && !this.corked) {
      transport.cork();
      this.corked = true;
      // After this tick's synchronous work: the events of one step (response.created and the
      // three that follow it, or one delta per stream) go out together, and none waits longer.
      process.nextTick(this.flush);
    }
    this.socket.send(payload);
    this.options.metrics.eventsOut.inc(type);
    if (type === 'response.created') {
      this.activeResponses += 1;
      this.options.metrics.activeResponses.inc();
    } else if (type === 'response.done' && this.activeResponses > 0) {
      this.activeResponses -= 1;
      this.options.metrics.activeResponses.dec();
    }
    return eventId;
  }
}

/*
 * Beta clients (OpenAI-Beta: realtime=v1) get beta names and, where they differ, beta payloads:
 * this is the one place that knows both. Content parts an assistant produced are `text`/`audio`
 * (GA: `output_text`/`output_audio`); the session is the flat beta object; responses name their
 * `modalities`. Deltas carry no parts, so their templates need only the name (betaName).
 */
type AnyEvent = OutgoingEvent & Record<string, unknown>;

function betaPart(part: ItemContent): Record<string, unknown> {
  if (part.type === 'output_text') return { ...part, type: 'text' };
  if (part.type === 'output_audio') return { ...part, type: 'audio' };
  return part;
}

function betaItem(item: Item): Record<string, unknown> {
  return { ...item, content: item.content.map(betaPart) };
}

function betaFormat(format: AudioFormat): string {
  if (format.type === 'audio/pcmu') return 'g711_ulaw';
  if (format.type === 'audio/pcma') return 'g711_alaw';
  return 'pcm16';
}

function betaModalities(output: readonly string[]): string[] {
  // GA output_modalities ['audio'] (audio with its transcript) is beta ['audio', 'text'].
  return output.includes('audio') ? ['audio', 'text'] : ['text'];
}

function betaSession(s: SessionObject): Record<string, unknown> {
  return {
    object: s.object,
    id: s.id,
    model: s.model,
    modalities: betaModalities(s.output_modalities),
    instructions: s.instructions,
    voice: s.audio.output.voice,
    speed: s.audio.output.speed,
    input_audio_format: betaFormat(s.audio.input.format),
    output_audio_format: betaFormat(s.audio.output.format),
    input_audio_transcription: s.audio.input.transcription,
    input_audio_noise_reduction: s.audio.input.noise_reduction,
    turn_detection: s.audio.input.turn_detection,
    max_response_output_tokens: s.max_output_tokens,
    tools: s.tools,
    tool_choice: s.tool_choice,
    duet: s.duet,
  };
}

function betaResponse(r: ResponseObject): Record<string, unknown> {
  const { output_modalities, ...rest } = r;
  return { ...rest, modalities: betaModalities(output_modalities), output: r.output.map(betaItem) };
}

/** The event as a beta client expects it: beta name, beta payload. */
export function toBeta(event: OutgoingEvent): Record<string, unknown> {
  const e = event as AnyEvent;
  const type = BETA_EVENT_NAMES[event.type as ServerEventType] ?? event.type;
  if ('item' in e && e.item) return { ...e, type, item: betaItem(e.item as Item) };
  if ('part' in e && e.part) return { ...e, type, part: betaPart(e.part as ItemContent) };
  if ('session' in e && e.session) return { ...e, type, session: betaSession(e.session as SessionObject) };
  if ('response' in e && e.response) return { ...e, type, response: betaResponse(e.response as ResponseObject) };
  return type === event.type ? e : { ...e, type };
}

/** Events that carry one content part's streamed output: `{type, response_id, item_id, output_index, content_index, delta}`. */
export type DeltaEventType = 'response.output_text.delta' | 'response.output_audio_transcript.delta' | 'response.output_audio.delta';

/** A delta event serialized up to its `delta` value (see Outbound.deltaTemplate). */
export interface DeltaTemplate {
  readonly type: DeltaEventType;
  /** `"type":…,"response_id":…,…,"delta":` */
  readonly head: string;
}

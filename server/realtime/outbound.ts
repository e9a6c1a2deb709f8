import type { WebSocket } from 'ws';
import { BETA_EVENT_NAMES, type OutgoingEvent, type ServerEventType } from '../../protocol/schema/server-events.js';
import { newId } from './ids.js';
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
    const betaType = this.betaName(type);
    // The id goes in front of the serialized event rather than into a copy of it: one object
    // fewer per event. Ids are base64url characters only, so nothing needs escaping.
    const payload = betaType
      ? JSON.stringify({ ...event, type: betaType, event_id: eventId })
      : `{"event_id":"${eventId}",${JSON.stringify(event).slice(1)}`;
    return this.write(type, eventId, payload);
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

  /** Sends one delta event made from `template`; returns its event_id ('' when the socket can take no more). */
  sendDelta(template: DeltaTemplate, delta: string): string {
    if (this.closed) return '';
    const eventId = newId('event');
    return this.write(template.type, eventId, `{"event_id":"${eventId}",${template.head}${JSON.stringify(delta)}}`);
  }

  /** The beta name of an event type, for clients that asked for beta names (undefined when it has none). */
  private betaName(type: ServerEventType): string | undefined {
    return this.options.beta ? BETA_EVENT_NAMES[type] : undefined;
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
    return eventId;
  }
}

/** Events that carry one content part's streamed output: `{type, response_id, item_id, output_index, content_index, delta}`. */
export type DeltaEventType = 'response.output_text.delta' | 'response.output_audio_transcript.delta' | 'response.output_audio.delta';

/** A delta event serialized up to its `delta` value (see Outbound.deltaTemplate). */
export interface DeltaTemplate {
  readonly type: DeltaEventType;
  /** `"type":…,"response_id":…,…,"delta":` */
  readonly head: string;
}

import type { WebSocket } from 'ws';
import { BETA_EVENT_NAMES, type OutgoingEvent, type ServerEventType } from '../../protocol/schema/server-events.js';
import { newId } from './ids.js';
import type { Metrics } from '../metrics.js';

export interface OutboundOptions {
  /** Client asked for the beta event names (OpenAI-Beta: realtime=v1). */
  beta: boolean;
  /** Close the session when more than this many bytes wait in the socket's send buffer. */
  maxQueuedBytes: number;
  metrics: Metrics;
  /** Called once when the queue overflows (the client stopped reading). */
  onOverflow: () => void;
}

/** Stamps, renames and sends server events; enforces the bounded send queue. */
export class Outbound {
  private overflowed = false;

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
    const wireType = this.options.beta ? (BETA_EVENT_NAMES[type] ?? type) : type;
    const payload = JSON.stringify({ ...event, type: wireType, event_id: eventId });
    // ws buffers without bound when the peer stops reading; bufferedAmount is what is
    // still in user space, so checking it before each send bounds memory per session.
    if (this.socket.bufferedAmount + payload.length > this.options.maxQueuedBytes) {
      this.overflowed = true;
      this.options.onOverflow();
      return '';
    }
    this.socket.send(payload);
    this.options.metrics.eventsOut.inc({ type });
    return eventId;
  }
}

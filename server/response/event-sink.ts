import type { ErrorCode } from '../../protocol/errors.js';
import type { OutgoingEvent, ServerEventType } from '../../protocol/schema/server-events.js';

/**
 * The narrow port through which the scheduler and responses talk to the client. The session
 * implements it over its socket; tests implement it with an array, so the interruption logic
 * runs without sockets.
 */
export interface EventSink {
  send<K extends ServerEventType>(event: OutgoingEvent<K>): void;
  /** Every `error` event goes through here (one place counts and shapes them). */
  error(code: ErrorCode, message: string, param?: string | null, eventId?: string | null): void;
}

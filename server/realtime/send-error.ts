import { ERROR_CODES, type ErrorCode } from '../../protocol/errors.js';
import type { OutgoingEvent } from '../../protocol/schema/server-events.js';
import type { Outbound } from './outbound.js';
import type { Metrics } from '../metrics.js';

/** The one shape of an `error` event (without its event_id). */
export function errorEvent(code: ErrorCode, message: string, param: string | null = null, eventId: string | null = null): OutgoingEvent<'error'> {
  return { type: 'error', error: { type: ERROR_CODES[code].type, code, message, param, event_id: eventId } };
}

/** Sends one `error` event with a documented code, and counts it. Every error event goes through here. */
export function sendError(outbound: Outbound, metrics: Metrics, code: ErrorCode, message: string, param: string | null = null, eventId: string | null = null): void {
  metrics.errors.inc({ code });
  outbound.send(errorEvent(code, message, param, eventId));
}

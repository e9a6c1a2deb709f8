import { ERROR_CODES, type ErrorCode } from '../../protocol/errors.js';
import type { Outbound } from './outbound.js';
import type { Metrics } from '../metrics.js';

/** Sends one `error` event with a documented code. */
export function sendError(outbound: Outbound, metrics: Metrics, code: ErrorCode, message: string, param: string | null = null, eventId: string | null = null): void {
  metrics.errors.inc({ code });
  outbound.send({ type: 'error', error: { type: ERROR_CODES[code].type, code, message, param, event_id: eventId } });
}

import { ProtocolError } from '../../protocol/errors.js';
import { parseClientEvent } from '../../protocol/validate.js';
import type { ClientEvent } from '../../protocol/schema/client-events.js';

/** Best-effort event_id of a message that failed validation, to echo in the error. */
export function salvageEventId(parsed: unknown): string | null {
  if (parsed && typeof parsed === 'object' && 'event_id' in parsed) {
    const id = (parsed as { event_id: unknown }).event_id;
    if (typeof id === 'string') return id.slice(0, 128);
  }
  return null;
}

export type Inbound = { ok: true; event: ClientEvent } | { ok: false; error: ProtocolError; eventId: string | null };

/** Text frame -> validated client event, or the error to report. Never throws. */
export function parseTextFrame(text: string, maxBytes: number): Inbound {
  if (Buffer.byteLength(text) > maxBytes) {
    return { ok: false, eventId: null, error: new ProtocolError('message_too_large', `Message of ${Buffer.byteLength(text)} bytes exceeds the limit of ${maxBytes}.`) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, eventId: null, error: new ProtocolError('invalid_json', `Message is not valid JSON: ${(err as Error).message}`) };
  }
  const eventId = salvageEventId(parsed);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, eventId, error: new ProtocolError('invalid_event', 'Message must be a JSON object with a string `type`.') };
  }
  const type = (parsed as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, eventId, error: new ProtocolError('invalid_event', 'Message must have a string `type`.', 'type') };
  }
  try {
    return { ok: true, event: parseClientEvent(parsed as Record<string, unknown> & { type: string }) };
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, eventId, error: err };
    throw err;
  }
}

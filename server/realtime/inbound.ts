import { ProtocolError } from '../../protocol/errors.js';
import { parseClientEvent } from '../../protocol/validate.js';
import type { ClientEvent } from '../../protocol/schema/client-events.js';
import type { Config } from '../config/schema.js';

/** Best-effort event_id of a message that failed validation, to echo in the error. */
export function salvageEventId(parsed: unknown): string | null {
  if (parsed && typeof parsed === 'object' && 'event_id' in parsed) {
    const id = (parsed as { event_id: unknown }).event_id;
    if (typeof id === 'string') return id.slice(0, 128);
  }
  return null;
}

export type Inbound = { ok: true; event: ClientEvent } | { ok: false; error: ProtocolError; eventId: string | null };

/** Deeper JSON is refused before parsing (real events nest about 6 levels; JSON Schemas in tools a few more). */
export const MAX_JSON_DEPTH = 32;

/** The limits the inbound checks read. */
export type InboundLimits = Pick<Config['limits'], 'maxMessageBytes' | 'maxControlMessageBytes' | 'maxTextItemBytes'>;

/** What a cheap scan of a text frame learned, before any JSON.parse. */
export interface FramePeek {
  /** The top-level `type` (the last one, as JSON.parse keeps), or null when not found plainly spelled. */
  type: string | null;
  /** A string `input_image` or `input_audio` occurs: the item may carry media. */
  media: boolean;
  /** Why the frame must not be parsed at all, or null. */
  refusal: string | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const TYPE_KEY = Buffer.from('type');
const MEDIA_TOKENS = [Buffer.from('input_image'), Buffer.from('input_audio')];

function bytesEqual(buf: Buffer, start: number, end: number, token: Buffer): boolean {
  return end - start === token.length && buf.compare(token, 0, token.length, start, end) === 0;
}

/**
 * Scans a text frame's bytes for its top-level `type`, its nesting depth and how much structure
 * (bytes outside strings, plus one per string) it has, without building anything: strings are
 * skipped with a native indexOf, so a megabyte of base64 costs one memchr. Stops as soon as the
 * depth passes MAX_JSON_DEPTH or the structure passes `maxStructure`, so a hostile frame costs
 * at most `maxStructure` steps of this loop. Malformed JSON is left for JSON.parse to report.
 */
export function peekFrame(buf: Buffer, maxStructure: number): FramePeek {
  let depth = 0;
  let structure = 0;
  let prev = 0;
  let keyIsType = false;
  let type: string | null = null;
  let media = false;
  const n = buf.length;
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (++structure > maxStructure) return { type, media, refusal: `more than ${maxStructure} bytes of JSON structure (outside strings)` };
    if (c === QUOTE) {
      let end = i + 1;
      for (;;) {
        end = buf.indexOf(QUOTE, end);
        if (end < 0) return { type, media, refusal: null }; // unterminated: JSON.parse says so
        let backslashes = 0;
        while (buf[end - 1 - backslashes] === BACKSLASH) backslashes += 1;
        if (backslashes % 2 === 0) break;
        end += 1;
        if (++structure > maxStructure) return { type, media, refusal: `more than ${maxStructure} bytes of JSON structure (outside strings)` };
      }
      if (depth === 1) {
        if (prev === OPEN_OBJECT || prev === COMMA) keyIsType = bytesEqual(buf, i + 1, end, TYPE_KEY);
        else if (prev === COLON && keyIsType) type = end - i - 1 <= 128 ? buf.toString('utf8', i + 1, end) : null;
      }
      if (!media && MEDIA_TOKENS.some((t) => bytesEqual(buf, i + 1, end, t))) media = true;
      prev = QUOTE;
      i = end;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > MAX_JSON_DEPTH) return { type, media, refusal: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth -= 1;
    if (c > 0x20) prev = c;
  }
  return { type, media, refusal: null };
}

/** Events that may carry megabytes (audio, images); every other event is a small control message. */
const MEDIA_EVENTS = new Set(['input_audio_buffer.append', 'duet.input_image.append']);

/** The most bytes a message of this type may have (decided before parsing). */
export function byteBudget(type: string | null, media: boolean, limits: InboundLimits): { bytes: number; key: string } {
  if (type !== null && MEDIA_EVENTS.has(type)) return { bytes: limits.maxMessageBytes, key: 'limits.maxMessageBytes' };
  if (type === 'conversation.item.create') {
    return media ? { bytes: limits.maxMessageBytes, key: 'limits.maxMessageBytes' } : { bytes: Math.min(limits.maxTextItemBytes, limits.maxMessageBytes), key: 'limits.maxTextItemBytes' };
  }
  return { bytes: Math.min(limits.maxControlMessageBytes, limits.maxMessageBytes), key: 'limits.maxControlMessageBytes' };
}

function tooLarge(bytes: number, type: string | null, budget: { bytes: number; key: string }, eventId: string | null = null): Inbound {
  const what = type ? `A '${type.slice(0, 64)}' message` : 'A message';
  return { ok: false, eventId, error: new ProtocolError('message_too_large', `${what} of ${bytes} bytes exceeds ${budget.key} (${budget.bytes}).`) };
}

/** Text frame (UTF-8 bytes) -> validated client event, or the error to report. Never throws. */
export function parseTextFrame(bytes: Buffer, limits: InboundLimits): Inbound {
  if (bytes.length > limits.maxMessageBytes) return tooLarge(bytes.length, null, { bytes: limits.maxMessageBytes, key: 'limits.maxMessageBytes' });
  const peek = peekFrame(bytes, limits.maxControlMessageBytes);
  if (peek.refusal) return { ok: false, eventId: null, error: new ProtocolError('message_too_complex', `Message refused before parsing: ${peek.refusal}.`) };
  const budget = byteBudget(peek.type, peek.media, limits);
  if (bytes.length > budget.bytes) return tooLarge(bytes.length, peek.type, budget);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
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
  // The peek may have missed an escaped or repeated key: hold the parsed type to its own budget.
  if (type !== peek.type) {
    const actual = byteBudget(type, peek.media, limits);
    if (bytes.length > actual.bytes) return tooLarge(bytes.length, type, actual, eventId);
  }
  try {
    return { ok: true, event: parseClientEvent(parsed as Record<string, unknown> & { type: string }) };
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, eventId, error: err };
    throw err;
  }
}

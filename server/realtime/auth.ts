import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const KEY_SUBPROTOCOL_PREFIX = 'openai-insecure-api-key.';

function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const raw = headers['sec-websocket-protocol'];
  return (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',').map((p) => p.trim()).filter(Boolean);
}

/** The auth scheme is case-insensitive (RFC 7235): `Bearer`, `bearer` and `BEARER` all name it. */
const BEARER = /^bearer +(.+)$/i;

/** The key a client presented: `Authorization: Bearer KEY` or the `openai-insecure-api-key.KEY` subprotocol. */
export function presentedKey(headers: IncomingHttpHeaders): string | null {
  const bearer = headers.authorization?.match(BEARER);
  if (bearer) return bearer[1]!.trim();
  const fromProtocol = offeredProtocols(headers).find((p) => p.startsWith(KEY_SUBPROTOCOL_PREFIX));
  return fromProtocol ? fromProtocol.slice(KEY_SUBPROTOCOL_PREFIX.length) : null;
}

/** Constant-time check against every configured key. */
export function keyAccepted(key: string | null, keys: readonly string[]): boolean {
  if (keys.length === 0) return true;
  if (!key) return false;
  const given = Buffer.from(key);
  let ok = false;
  for (const k of keys) {
    const expected = Buffer.from(k);
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

/** Subprotocol to echo: `realtime` when offered, else the first one that is not a key. */
export function chooseSubprotocol(protocols: Set<string>): string | false {
  if (protocols.has('realtime')) return 'realtime';
  for (const p of protocols) if (!p.startsWith(KEY_SUBPROTOCOL_PREFIX)) return p;
  return false;
}

/** Beta clients: header `OpenAI-Beta: realtime=v1` or subprotocol `openai-beta.realtime-v1`. */
export function wantsBeta(headers: IncomingHttpHeaders): boolean {
  const beta = headers['openai-beta'];
  const values = Array.isArray(beta) ? beta : beta ? [beta] : [];
  return values.some((v) => v.includes('realtime=v1')) || offeredProtocols(headers).includes('openai-beta.realtime-v1');
}

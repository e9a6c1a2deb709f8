import { randomBytes } from 'node:crypto';

// Ids are unique across sessions and restarts: a random process prefix plus a counter
// (cheaper than a UUID per event on the per-delta hot path).
const processPrefix = randomBytes(6).toString('base64url');
let counter = 0;

export function newId(kind: 'event' | 'item' | 'resp' | 'sess'): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${kind}_${processPrefix}${counter.toString(36)}`;
}

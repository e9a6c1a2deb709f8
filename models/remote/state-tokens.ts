// The VITA decision read from first-token log-probabilities, and the helpers
// the fallbacks need. State strings are always ordered [query, noise, text]
// (config: <1>, <2>, <3>), then optionally incomplete (<4>).

import { MONITOR_OUTCOMES, type MonitorDecision, type MonitorOutcome } from '../types.js';

export type StateStrings = readonly [string, string, string];
/** The three state strings, or four when the monitor is asked for `incomplete` too. */
export type OutcomeStrings = readonly string[];

/** The fourth string when none is configured: `<4>` next to `<1>/<2>/<3>`, `4` next to `1/2/3`, else none. */
export function defaultIncompleteString(strings: StateStrings): string | null {
  const [a, b, c] = strings;
  if (a === '<1>' && b === '<2>' && c === '<3>') return '<4>';
  if (a === '1' && b === '2' && c === '3') return '4';
  return null;
}

export interface ListedLogprob {
  token: string;
  logprob: number;
}

/** The lowest log-probability given to a state token absent from the listing (keeps the softmax finite). */
export const LOGPROB_FLOOR = -50;

/** Engines report decoded token text: drop leading spaces and the SentencePiece/BPE space markers. */
export function normalizeToken(token: string): string {
  return token.replace(/^[\s\u2581\u0120]+/u, '').trimEnd();
}

/** Which state a piece of generated text names: exact match first, then a reply that starts with one. */
export function matchStateToken(text: string | null | undefined, tokens: OutcomeStrings): MonitorOutcome | null {
  if (!text) return null;
  const t = normalizeToken(text);
  for (let i = 0; i < tokens.length; i++) if (t === tokens[i]) return MONITOR_OUTCOMES[i]!;
  for (let i = 0; i < tokens.length; i++) if (t.startsWith(tokens[i]!)) return MONITOR_OUTCOMES[i]!;
  return null;
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  const hi = Math.max(a, b);
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}

/**
 * Softmax over the state tokens (three, or four with incomplete) of the first generated token's
 * log-probabilities. Listed tokens that normalize to the same state string
 * (`"1"`, `" 1"`) are summed. A state token missing from the top-k listing
 * gets an upper bound of what it could have: no more than the lowest listed
 * value, and no more than its share of the probability mass the listing leaves
 * over. Returns null when no state token is listed at all (no information).
 */
export function stateDistribution(listed: readonly ListedLogprob[], tokens: OutcomeStrings): MonitorDecision['probabilities'] | null {
  const acc = tokens.map(() => -Infinity);
  const seen = new Set<string>();
  let minListed = Infinity;
  let listedMass = 0;
  for (const { token, logprob } of listed) {
    if (seen.has(token) || !Number.isFinite(logprob)) continue;
    seen.add(token);
    minListed = Math.min(minListed, logprob);
    listedMass += Math.exp(logprob);
    const t = normalizeToken(token);
    for (let i = 0; i < tokens.length; i++) if (t === tokens[i]) acc[i] = logAddExp(acc[i]!, logprob);
  }
  const missing = acc.filter((v) => v === -Infinity).length;
  if (missing === tokens.length) return null;
  if (missing > 0) {
    const leftover = Math.max(0, 1 - listedMass) / missing;
    const bound = Math.max(LOGPROB_FLOOR, Math.min(minListed, Math.log(leftover)));
    for (let i = 0; i < acc.length; i++) if (acc[i] === -Infinity) acc[i] = bound;
  }
  const hi = Math.max(...acc);
  const e = acc.map((v) => Math.exp(v - hi));
  const sum = e.reduce((a, b) => a + b, 0);
  return { query: e[0]! / sum, noise: e[1]! / sum, text: e[2]! / sum, ...(tokens.length > 3 ? { incomplete: e[3]! / sum } : {}) };
}

/** argmax; ties go to the earlier of query, noise, text, incomplete (VITA answers unless it is sure it is noise). */
export function argmaxState(p: MonitorDecision['probabilities']): MonitorOutcome {
  let best: MonitorOutcome = 'query';
  for (const s of MONITOR_OUTCOMES) if ((p[s] ?? -1) > p[best]!) best = s;
  return best;
}

/** All the probability on `token`; `incomplete` is present when the monitor was asked for it. */
export function oneHot(token: MonitorOutcome, withIncomplete = false): MonitorDecision['probabilities'] {
  const p = { query: token === 'query' ? 1 : 0, noise: token === 'noise' ? 1 : 0, text: token === 'text' ? 1 : 0 };
  return withIncomplete ? { ...p, incomplete: token === 'incomplete' ? 1 : 0 } : p;
}

/**
 * Removes a leading state token from a streamed reply (VITA-style models start
 * every answer with one). Text is held only while it could still be the start
 * of a state token.
 */
export class LeadingTokenStripper {
  readonly #tokens: readonly string[];
  #held = '';
  #decided = false;
  #trimNext = false;

  constructor(tokens: readonly string[]) {
    this.#tokens = tokens;
  }

  push(text: string): string {
    if (this.#decided) {
      if (!this.#trimNext) return text;
      const rest = text.trimStart();
      if (rest !== '') this.#trimNext = false;
      return rest;
    }
    const held = (this.#held + text).trimStart();
    for (const token of this.#tokens) {
      if (held.startsWith(token)) {
        this.#decided = true;
        this.#held = '';
        const rest = held.slice(token.length).trimStart();
        this.#trimNext = rest === '';
        return rest;
      }
    }
    if (this.#tokens.some((token) => token.startsWith(held))) {
      this.#held = held;
      return '';
    }
    this.#decided = true;
    this.#held = '';
    return held;
  }

  /** What is still held when the stream ends. */
  flush(): string {
    const rest = this.#held;
    this.#held = '';
    return rest;
  }
}

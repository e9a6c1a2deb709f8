// The three VITA state tokens as token ids of one model, and the optional fourth, `incomplete`
// (the speaker paused mid-turn). A state string that tokenizes to several tokens is read by its
// first token, so the first tokens must differ.

import { EmbeddedModelError } from '../errors.js';

export type StateStrings = readonly [string, string, string];

/** VITA's own strings; used when the tokenizer has them as three distinct first tokens. */
export const VITA_STATE_STRINGS: StateStrings = ['<1>', '<2>', '<3>'];
/** For general instruct models (where `<1>` is `<`, `1`, `>`): digits are single tokens in Qwen/Llama vocabularies. */
export const PLAIN_STATE_STRINGS: StateStrings = ['1', '2', '3'];
/** The fourth string next to each default set. */
const VITA_INCOMPLETE = '<4>';
const PLAIN_INCOMPLETE = '4';

export interface Encoder {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
}

export interface ResolvedStateTokens {
  strings: StateStrings;
  /** First token of each string, in [query, noise, text] order. */
  ids: readonly [number, number, number];
  /** Each string is exactly one token (then a reply starting with it can be recognised and dropped). */
  singleToken: boolean;
  /** The fourth state, `incomplete`: its string and first token; null when this model has none. */
  incomplete: { string: string; id: number } | null;
}

function firstTokens(tokenizer: Encoder, strings: StateStrings): { ids: [number, number, number]; single: boolean } {
  const encoded = strings.map((s) => tokenizer.encode(s, { add_special_tokens: false }));
  for (let i = 0; i < 3; i++) {
    if (encoded[i]!.length === 0) throw new EmbeddedModelError('state_tokens_invalid', `state token '${strings[i]}' encodes to no token`);
  }
  return { ids: [encoded[0]![0]!, encoded[1]![0]!, encoded[2]![0]!], single: encoded.every((e) => e.length === 1) };
}

function distinct(ids: readonly number[]): boolean {
  return new Set(ids).size === ids.length;
}

/**
 * Configured strings must have three (or four, the fourth `incomplete`) different first tokens
 * (else an error naming the collision). Without configuration: VITA's `<1>/<2>/<3>` when they are
 * three single tokens in this vocabulary, otherwise `1/2/3`. The fourth, when not configured, is
 * `<4>` next to `<1>/<2>/<3>` and `4` next to `1/2/3` (when it is one token of its own),
 * else none.
 */
export function resolveStateTokens(tokenizer: Encoder, configured?: readonly string[]): ResolvedStateTokens {
  if (configured) {
    const strings = [configured[0]!, configured[1]!, configured[2]!] as const;
    const { ids, single } = firstTokens(tokenizer, strings);
    if (configured[3] !== undefined) {
      const fourth = firstTokens(tokenizer, [strings[0], strings[1], configured[3]]).ids[2];
      const all = [...ids, fourth];
      if (!distinct(all)) throw collision([...strings, configured[3]], all);
      return { strings, ids, singleToken: single, incomplete: { string: configured[3], id: fourth } };
    }
    if (!distinct(ids)) throw collision(strings, ids);
    return { strings, ids, singleToken: single, incomplete: defaultIncomplete(tokenizer, strings, ids) };
  }
  const vita = firstTokens(tokenizer, VITA_STATE_STRINGS);
  if (vita.single && distinct(vita.ids)) return { strings: VITA_STATE_STRINGS, ids: vita.ids, singleToken: true, incomplete: defaultIncomplete(tokenizer, VITA_STATE_STRINGS, vita.ids) };
  const plain = firstTokens(tokenizer, PLAIN_STATE_STRINGS);
  if (!distinct(plain.ids)) throw new EmbeddedModelError('state_tokens_invalid', 'neither <1>/<2>/<3> nor 1/2/3 are distinct tokens here: configure models.chat.stateTokens');
  return { strings: PLAIN_STATE_STRINGS, ids: plain.ids, singleToken: plain.single, incomplete: defaultIncomplete(tokenizer, PLAIN_STATE_STRINGS, plain.ids) };
}

function defaultIncomplete(tokenizer: Encoder, strings: StateStrings, ids: readonly number[]): ResolvedStateTokens['incomplete'] {
  const same = (a: StateStrings, b: StateStrings) => a.every((x, i) => x === b[i]);
  const string = same(strings, VITA_STATE_STRINGS) ? VITA_INCOMPLETE : same(strings, PLAIN_STATE_STRINGS) ? PLAIN_INCOMPLETE : null;
  if (string === null) return null;
  // A default must be one token of its own: a first token shared with other text would mean nothing.
  const encoded = tokenizer.encode(string, { add_special_tokens: false });
  return encoded.length !== 1 || ids.includes(encoded[0]!) ? null : { string, id: encoded[0]! };
}

function collision(strings: readonly string[], ids: readonly number[]): EmbeddedModelError {
  return new EmbeddedModelError(
    'state_tokens_invalid',
    `state tokens ${strings.map((s) => JSON.stringify(s)).join(', ')} start with the same token (first token ids ${ids.join(', ')}); ` +
      'choose strings whose first tokens differ in this tokenizer (e.g. "1","2","3" or plain words)',
  );
}

// Streaming detokenization: text deltas token by token, never splitting a UTF-8 character.
//
// Byte-level BPE tokenizers (Qwen2, SmolLM2, GPT-2) map every token to fixed bytes, so a table
// built once from tokenizer.json plus a streaming TextDecoder gives each delta in O(1) and matches
// `decode(ids, {skip_special_tokens: true})` exactly (when the tokenizer does no clean-up). Other
// tokenizers go through the generic path: decode a short window and emit what grew, as TGI does.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TextStream {
  /** Text this token adds ('' while a character is incomplete). */
  push(id: number): string;
  /** What is still held back at the end. */
  flush(): string;
}

export interface Decoder {
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
}

function byteDecoderTable(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const map = new Map<string, number>();
  bs.forEach((b, i) => map.set(String.fromCodePoint(cs[i]!), b));
  return map;
}

interface TokenizerJson {
  decoder?: { type?: string; decoders?: { type?: string }[] } | null;
  model?: { vocab?: Record<string, number> | [string, number][] };
  added_tokens?: { id: number; content: string; special: boolean }[];
}

/** Per-token bytes for a byte-level BPE tokenizer.json, or null when it is not one. */
export function loadByteTable(dir: string): (Uint8Array | null)[] | null {
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  const dec = json.decoder;
  const byteLevel = dec?.type === 'ByteLevel' || (dec?.type === 'Sequence' && dec.decoders?.length === 1 && dec.decoders[0]?.type === 'ByteLevel');
  const vocab = json.model?.vocab;
  if (!byteLevel || !vocab || Array.isArray(vocab)) return null;
  const byteOf = byteDecoderTable();
  const table: (Uint8Array | null)[] = [];
  for (const [piece, id] of Object.entries(vocab)) {
    const bytes = new Uint8Array(piece.length);
    let n = 0;
    for (const ch of piece) {
      const b = byteOf.get(ch);
      if (b === undefined) return null; // not a pure byte-level vocabulary
      bytes[n++] = b;
    }
    table[id] = bytes.subarray(0, n);
  }
  const encoder = new TextEncoder();
  for (const t of json.added_tokens ?? []) table[t.id] = t.special ? null : encoder.encode(t.content);
  return table;
}

export class ByteTableStream implements TextStream {
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly table: readonly (Uint8Array | null)[]) {}

  push(id: number): string {
    const bytes = this.table[id];
    if (!bytes || bytes.length === 0) return '';
    return this.decoder.decode(bytes, { stream: true });
  }

  flush(): string {
    return this.decoder.decode();
  }
}

export class WindowedDecodeStream implements TextStream {
  private readonly ids: number[] = [];
  private prefix = 0;
  private read = 0;

  constructor(private readonly tokenizer: Decoder) {}

  private text(from: number, to: number): string {
    return to > from ? this.tokenizer.decode(this.ids.slice(from, to), { skip_special_tokens: true }) : '';
  }

  push(id: number): string {
    this.ids.push(id);
    const before = this.text(this.prefix, this.read);
    const after = this.text(this.prefix, this.ids.length);
    if (after.length > before.length && !after.endsWith('\uFFFD')) {
      this.prefix = this.read;
      this.read = this.ids.length;
      return after.slice(before.length);
    }
    return '';
  }

  flush(): string {
    const rest = this.text(this.prefix, this.ids.length).slice(this.text(this.prefix, this.read).length);
    this.prefix = this.read = this.ids.length;
    return rest;
  }
}

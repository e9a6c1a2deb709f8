// Cuts streamed LLM text into chunks for the TTS, as VITA does: at clause and
// sentence ends, each chunk at least `minChunkChars` long, so speech can start at
// the first clause while the model keeps generating.
//
// Rules. A chunk ends after `. ! ? ; : ,` (and `…`) plus any closing quotes or
// brackets, when whitespace follows: "3.14", "1,000", "10:30" and "e.g" inside a
// word never cut. A `.` after an abbreviation ("e.g.", "Dr.", an initial "J.")
// does not cut either. CJK terminators (。！？；：，、 and full-width forms) cut
// without whitespace. A chunk also ends before a newline. Text with no cut for
// `maxChunkChars` is cut at its last whitespace (or hard, for unspaced scripts).
//
// Exactness: the chunks, concatenated, are the input, character for character
// (whitespace after a cut starts the next chunk), so each chunk can be the
// transcript of its audio. Each delta is scanned once; a cut can wait for one
// more character (is the '.' followed by a space?).

export interface TextChunkerOptions {
  /** Shortest chunk, trimmed (default 8). */
  minChunkChars?: number;
  /** Longest chunk before a forced cut (default 200). */
  maxChunkChars?: number;
}

const ASCII_TERMINATORS = new Set(['.', '!', '?', ';', ':', ',', '…']);
const CJK_TERMINATORS = new Set(['。', '！', '？', '；', '：', '，', '、', '．', '｡', '､']);
const CLOSERS = new Set(['"', "'", ')', ']', '}', '”', '’', '»', '」', '』', '）', '】', '〉', '》', '*', '_']);
const OPENERS = /^["'(\[{“‘«「『（*_]+/;
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'e.g', 'i.e', 'cf', 'approx', 'fig', 'eq', 'vol', 'dept', 'al',
]);
const DOTTED_LETTERS = /^(?:\p{L}\.)+\p{L}$/u; // "e.g", "U.S", "i.e"
const INITIAL = /^\p{Lu}$/u; // "J." in "J. Smith"

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\u00a0' || ch === '\u3000';
}

export class TextChunker {
  private readonly minChars: number;
  private readonly maxChars: number;
  private pending = '';
  /** Index in `pending` from which no decision has been made yet. */
  private scanFrom = 0;

  constructor(options: TextChunkerOptions = {}) {
    this.minChars = Math.max(1, options.minChunkChars ?? 8);
    this.maxChars = Math.max(this.minChars, options.maxChunkChars ?? 200);
  }

  /** Adds a text delta; returns the chunks it completed (usually none or one). */
  push(delta: string): string[] {
    this.pending += delta;
    return this.scan(false);
  }

  /** The text is complete: returns what is left, cut at the same boundaries. */
  flush(): string[] {
    const chunks = this.scan(true);
    if (this.pending !== '') chunks.push(this.pending);
    this.pending = '';
    this.scanFrom = 0;
    return chunks;
  }

  private scan(final: boolean): string[] {
    const chunks: string[] = [];
    let i = this.scanFrom;
    while (i < this.pending.length) {
      const ch = this.pending[i];
      let cutAt = -1;
      let resumeAt = i + 1;
      if (ch === '\n') {
        cutAt = i;
      } else if (ASCII_TERMINATORS.has(ch) || CJK_TERMINATORS.has(ch)) {
        let end = i + 1;
        while (end < this.pending.length && CLOSERS.has(this.pending[end])) end++;
        if (end === this.pending.length && !final) break; // wait: what follows decides
        resumeAt = end;
        if (CJK_TERMINATORS.has(ch) || end === this.pending.length || isWhitespace(this.pending[end])) {
          if (!(ch === '.' && this.isAbbreviation(i))) cutAt = end;
        }
      }
      if (cutAt > 0 && this.pending.slice(0, cutAt).trim().length >= this.minChars) {
        chunks.push(this.pending.slice(0, cutAt));
        this.pending = this.pending.slice(cutAt);
        i = 0;
        continue;
      }
      i = resumeAt;
      if (i > this.maxChars) {
        const cut = this.forcedCut();
        chunks.push(this.pending.slice(0, cut));
        this.pending = this.pending.slice(cut);
        i = 0;
      }
    }
    this.scanFrom = Math.min(i, this.pending.length);
    return chunks;
  }

  /** Whether the '.' at `dot` ends an abbreviation rather than a sentence. */
  private isAbbreviation(dot: number): boolean {
    let start = dot;
    while (start > 0 && !isWhitespace(this.pending[start - 1])) start--;
    const word = this.pending.slice(start, dot).replace(OPENERS, '');
    if (word === '') return false;
    return ABBREVIATIONS.has(word.toLowerCase()) || DOTTED_LETTERS.test(word) || INITIAL.test(word);
  }

  /** Where to cut text that ran past `maxChars` without a boundary. */
  private forcedCut(): number {
    for (let at = this.maxChars; at > 0; at--) {
      if (isWhitespace(this.pending[at]) && this.pending.slice(0, at).trim().length >= this.minChars) return at;
    }
    const code = this.pending.charCodeAt(this.maxChars - 1);
    return code >= 0xd800 && code <= 0xdbff ? this.maxChars + 1 : this.maxChars; // never split a surrogate pair
  }
}

/** Chunks a whole text at once (same result as streaming it). */
export function chunkText(text: string, options?: TextChunkerOptions): string[] {
  const chunker = new TextChunker(options);
  return [...chunker.push(text), ...chunker.flush()];
}

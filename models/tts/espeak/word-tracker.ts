// Turns espeak's word events (character position + sample where the word starts)
// into word timings. espeak reports a word once per spoken sub-word ("3.14" is
// "three point one four": four events inside one token), so events are merged
// per whitespace-delimited token of the request text. A word ends where the next
// word starts, at a clause end (so a sentence's closing pause is not counted as
// speech), or at the end of the audio.

export interface TimedWord {
  text: string;
  startMs: number;
  endMs: number;
}

const WHITESPACE = /\s/;

export class WordTracker {
  private readonly text: string;
  /** Code point index -> UTF-16 index, only when the text has surrogate pairs. */
  private readonly utf16Index: Int32Array | null;
  private readonly sampleRate: number;
  private open: { start: number; end: number; startSample: number } | null = null;
  private closed: TimedWord[] = [];

  constructor(text: string, sampleRate: number) {
    this.text = text;
    this.sampleRate = sampleRate;
    this.utf16Index = /[\uD800-\uDFFF]/.test(text) ? codePointOffsets(text) : null;
  }

  /** A word event: `charStart` in code points (as espeak counts), `sample` from the request start. */
  word(charStart: number, sample: number): void {
    const at = this.utf16Index ? (this.utf16Index[charStart] ?? this.text.length) : charStart;
    if (at < 0 || at >= this.text.length) return;
    let start = at;
    while (start > 0 && !WHITESPACE.test(this.text[start - 1])) start--;
    if (this.open && this.open.start === start) return; // another sub-word of the same token
    this.boundary(sample);
    let end = at;
    while (end < this.text.length && !WHITESPACE.test(this.text[end])) end++;
    this.open = { start, end, startSample: sample };
  }

  /** Ends the open word, if any, at `sample` (next word, clause end, end of audio). */
  boundary(sample: number): void {
    if (!this.open) return;
    const { start, end, startSample } = this.open;
    this.open = null;
    const toMs = 1000 / this.sampleRate;
    this.closed.push({ text: this.text.slice(start, end), startMs: startSample * toMs, endMs: Math.max(startSample, sample) * toMs });
  }

  /** Words whose end is known and that were not taken before. */
  take(): TimedWord[] {
    const words = this.closed;
    this.closed = [];
    return words;
  }
}

function codePointOffsets(text: string): Int32Array {
  const offsets: number[] = [];
  for (let i = 0; i < text.length; i++) {
    offsets.push(i);
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) i++;
  }
  offsets.push(text.length);
  return Int32Array.from(offsets);
}

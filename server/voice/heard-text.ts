// Which text a listener heard when playback stopped at `audioEndMs`
// (`conversation.item.truncate`), from the clause timeline of a speech track.
//
// Rounding, decided here once:
//  - clauses that ended by `audioEndMs` are heard whole, including the whitespace
//    and punctuation that belong to them;
//  - in the clause that was playing, with word timings, a word is heard when its
//    middle was played (a word cut after its middle is understood; one cut before
//    it is not). The heard text then ends with that word's whole token ("world,");
//  - without word timings (or no timed word in it), that clause is heard whole
//    when more than half of its audio was played, else not at all;
//  - nothing after the playing clause.

export interface TimedWord {
  /** UTF-16 offset in the clause text just after the word's token. */
  end: number;
  /** On the response's audio timeline. */
  startMs: number;
  endMs: number;
}

export interface TimedChunk {
  text: string;
  startMs: number;
  /** Audio synthesized for it so far. */
  durationMs: number;
  /** In order; empty when the TTS gives no timings. */
  words: TimedWord[];
}

export function heardText(chunks: readonly TimedChunk[], audioEndMs: number): string {
  let heard = '';
  for (const chunk of chunks) {
    if (chunk.startMs + chunk.durationMs <= audioEndMs) {
      heard += chunk.text;
      continue;
    }
    if (chunk.startMs >= audioEndMs) break;
    if (chunk.words.length > 0) {
      let end = 0;
      for (const word of chunk.words) {
        if ((word.startMs + word.endMs) / 2 > audioEndMs) break;
        end = word.end;
      }
      heard += chunk.text.slice(0, end);
    } else if (audioEndMs - chunk.startMs > chunk.durationMs / 2) {
      heard += chunk.text;
    }
    break;
  }
  return heard;
}

// What the TTS should say for a piece of generated text. LLMs write markdown;
// espeak reads "**" as "asterisk asterisk" and "#" as "hash". The transcript
// keeps the text as generated; only the synthesizer's input is cleaned.

const EMPHASIS = /(\*{1,3}|_{2,3}|~~|`+)/g; // **bold**, *it*, __u__, ~~strike~~, `code`
const LINE_MARKERS = /^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+)/gm; // headings, quotes, bullets
const LINK = /\[([^\]]*)\]\([^)]*\)/g; // [text](url) -> text

export function toSpeakableText(text: string): string {
  return text.replace(LINK, '$1').replace(LINE_MARKERS, '').replace(EMPHASIS, '');
}

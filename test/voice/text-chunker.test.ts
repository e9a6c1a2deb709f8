import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextChunker, chunkText } from '../../server/voice/text-chunker.js';

function streamed(text: string, sizes: number[], options?: ConstructorParameters<typeof TextChunker>[0]): string[] {
  const chunker = new TextChunker(options);
  const out: string[] = [];
  let at = 0;
  for (let k = 0; at < text.length; k++) {
    const size = sizes[k % sizes.length];
    out.push(...chunker.push(text.slice(at, at + size)));
    at += size;
  }
  out.push(...chunker.flush());
  return out;
}

test('cuts at sentence and clause ends, keeping the whitespace for the next chunk', () => {
  assert.deepEqual(chunkText('Hello there. How are you today? Fine, thanks!'), ['Hello there.', ' How are you today?', ' Fine, thanks!']);
});

test('a chunk is at least minChunkChars long (trimmed)', () => {
  assert.deepEqual(chunkText('Yes, I think so. Ok.', { minChunkChars: 8 }), ['Yes, I think so.', ' Ok.']);
  assert.deepEqual(chunkText('Yes, I think so.', { minChunkChars: 3 }), ['Yes,', ' I think so.']);
});

test('never cuts inside numbers, times or abbreviations', () => {
  assert.deepEqual(chunkText('Pi is about 3.14159 and e is 2.718 roughly.'), ['Pi is about 3.14159 and e is 2.718 roughly.']);
  assert.deepEqual(chunkText('We counted 1,000,000 stars at 10:30 tonight.'), ['We counted 1,000,000 stars at 10:30 tonight.']);
  assert.deepEqual(chunkText('Use a tool, e.g. a hammer. Then rest.'), ['Use a tool,', ' e.g. a hammer.', ' Then rest.']);
  assert.deepEqual(chunkText('Dr. Smith and J. Doe met i.e. yesterday in the U.S. office.'), ['Dr. Smith and J. Doe met i.e. yesterday in the U.S. office.']);
});

test('closing quotes and brackets stay with their sentence', () => {
  assert.deepEqual(chunkText('He said "stop right now." Then he left (quickly.) Bye.'), ['He said "stop right now."', ' Then he left (quickly.)', ' Bye.']);
});

test('ellipses and stacked marks cut once, after the last mark', () => {
  assert.deepEqual(chunkText('Wait... really?! That is odd.', { minChunkChars: 4 }), ['Wait...', ' really?!', ' That is odd.']);
});

test('CJK punctuation cuts without whitespace', () => {
  assert.deepEqual(chunkText('你好。今天天气很好，我们出去吧！好的', { minChunkChars: 2 }), ['你好。', '今天天气很好，', '我们出去吧！', '好的']);
  assert.deepEqual(chunkText('「走吧。」他说。', { minChunkChars: 2 }), ['「走吧。」', '他说。']);
});

test('newlines end a chunk (lists, paragraphs)', () => {
  assert.deepEqual(chunkText('Here are the steps\n- open the lid\n- pour the water', { minChunkChars: 8 }), [
    'Here are the steps',
    '\n- open the lid',
    '\n- pour the water',
  ]);
});

test('text without boundaries is cut at the last space before maxChunkChars', () => {
  const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const chunks = chunkText(words, { maxChunkChars: 50 });
  assert.ok(chunks.length > 1);
  for (const chunk of chunks) assert.ok(chunk.length <= 51, `chunk too long: ${chunk.length}`);
  for (const chunk of chunks.slice(1)) assert.match(chunk, /^ word\d+/); // cut between words
  assert.equal(chunks.join(''), words);
  const unspaced = '我'.repeat(130);
  assert.deepEqual(chunkText(unspaced, { maxChunkChars: 60 }).map((c) => c.length), [60, 60, 10]);
});

test('a boundary waits for the next character, then cuts exactly as on whole text', () => {
  const chunker = new TextChunker();
  assert.deepEqual(chunker.push('It costs 3.'), []); // "3." may be "3.14"
  assert.deepEqual(chunker.push('14 dollars today.'), []);
  assert.deepEqual(chunker.push(' And'), ['It costs 3.14 dollars today.']);
  assert.deepEqual(chunker.flush(), [' And']);
});

test('streaming in any delta sizes gives the same chunks as the whole text, and they concatenate to it', () => {
  const text =
    'Well, the answer is 42. Dr. Who said so, e.g. in "The Book." Really?! Yes… ' +
    'Then 3.14 appears; 1,000 times: at 10:30.\nNew line here, then 你好。世界，再见！ End';
  const whole = chunkText(text);
  assert.equal(whole.join(''), text);
  for (const sizes of [[1], [2, 3], [7], [1, 5, 2, 11], [text.length]]) {
    assert.deepEqual(streamed(text, sizes), whole, `delta sizes ${sizes}`);
  }
});

test('flush returns whitespace-only tails so the transcript stays exact', () => {
  const chunker = new TextChunker();
  assert.deepEqual(chunker.push('A full sentence here. '), ['A full sentence here.']);
  assert.deepEqual(chunker.flush(), [' ']);
  assert.deepEqual(chunker.flush(), []);
});

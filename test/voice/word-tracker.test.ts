import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WordTracker } from '../../models/tts/espeak/word-tracker.js';

test('sub-word events of one token merge; words end at the next word or a clause end', () => {
  const tracker = new WordTracker('Pi is 3.14. Next', 1000); // 1000 Hz: samples are ms
  tracker.word(0, 0);
  tracker.word(3, 200);
  tracker.word(6, 350); // "3.14" is spoken as four words: events at 6, 7, 7, 7
  tracker.word(7, 500);
  tracker.word(7, 700);
  tracker.boundary(900); // clause end: the pause after it is not part of "3.14."
  tracker.word(12, 1100);
  tracker.boundary(1400);
  assert.deepEqual(tracker.take(), [
    { text: 'Pi', startMs: 0, endMs: 200 },
    { text: 'is', startMs: 200, endMs: 350 },
    { text: '3.14.', startMs: 350, endMs: 900 },
    { text: 'Next', startMs: 1100, endMs: 1400 },
  ]);
  assert.deepEqual(tracker.take(), []);
});

test('character positions count code points, as espeak does (emoji are two UTF-16 units)', () => {
  const tracker = new WordTracker('😀 ok 😀😀 end', 1000);
  tracker.word(0, 0);
  tracker.word(2, 100); // "ok": code point 2, UTF-16 index 3
  tracker.word(5, 200); // "😀😀": code point 5
  tracker.word(8, 300); // "end": code point 8, UTF-16 index 11
  tracker.boundary(400);
  assert.deepEqual(tracker.take().map((w) => w.text), ['😀', 'ok', '😀😀', 'end']);
});

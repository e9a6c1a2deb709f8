import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageInput } from '../../models/types.js';
import { FrameBuffer, type FrameBufferOptions } from '../../server/vision/frame-buffer.js';
import { framesWanted, pickEvenlySpaced } from '../../server/vision/frame-sampling.js';

const POLICY = { frameWindowMs: 4000, framesPerQuery: 4, maxFramesPerQuery: 16 };

function frame(bytes = 100): ImageInput {
  return { mimeType: 'image/jpeg', bytes: new Uint8Array(bytes), width: 4, height: 3 };
}

/** Pushes one frame every `stepMs` from `fromMs` to `toMs` inclusive. */
function feed(buffer: FrameBuffer, fromMs: number, toMs: number, stepMs: number, bytes = 100): void {
  for (let t = fromMs; t <= toMs; t += stepMs) buffer.push(frame(bytes), t);
}

function times(frames: ImageInput[]): number[] {
  return frames.map((f) => f.capturedAtMs!);
}

function gaps(values: number[]): number[] {
  return values.slice(1).map((v, i) => v - values[i]!);
}

function buffer(options: Partial<FrameBufferOptions> = {}): FrameBuffer {
  return new FrameBuffer({ now: () => assert.fail('clock not expected'), ...options });
}

test('frames wanted: N up to the window, then 1 fps between N and the cap', () => {
  assert.equal(framesWanted(0, POLICY), 4);
  assert.equal(framesWanted(4000, POLICY), 4);
  assert.equal(framesWanted(4999, POLICY), 4);
  assert.equal(framesWanted(7500, POLICY), 7);
  assert.equal(framesWanted(16_000, POLICY), 16);
  assert.equal(framesWanted(60_000, POLICY), 16);
  assert.equal(framesWanted(60_000, { ...POLICY, framesPerQuery: 0 }), 0);
  assert.equal(framesWanted(1000, { ...POLICY, framesPerQuery: 6, maxFramesPerQuery: 5 }), 5);
});

test('even spacing picks first and last, nearest in time, never the same frame twice', () => {
  const steady = [0, 500, 1000, 1500, 2000, 2500, 3000, 3500];
  assert.deepEqual(pickEvenlySpaced(steady, 4), [0, 2, 5, 7]); // targets 0, 1167, 2333, 3500
  assert.deepEqual(pickEvenlySpaced(steady, 1), [7]);
  assert.deepEqual(pickEvenlySpaced(steady, 0), []);
  assert.deepEqual(pickEvenlySpaced([10, 20], 4), [0, 1]);
  assert.deepEqual(pickEvenlySpaced([], 4), []);
  // Identical timestamps (a burst stamped in one tick) are spread by index.
  assert.deepEqual(pickEvenlySpaced(Array(10).fill(5), 4), [0, 3, 6, 9]);
  // A dense cluster at the end does not pull every pick into it.
  assert.deepEqual(pickEvenlySpaced([0, 1000, 2000, 2990, 2995, 3000], 4), [0, 1, 2, 5]);
});

test('steady 2 fps: 4 evenly spaced frames from the last 4 s; the buffer stays at the window', () => {
  const frames = buffer();
  feed(frames, 0, 10_000, 500);
  assert.equal(frames.size, 9); // 6000..10000
  assert.equal(frames.byteLength, 900);
  assert.deepEqual(times(frames.selectForUtterance(8500, 10_000)), [6000, 7500, 8500, 10_000]);
  // Selection does not consume: a second query sees the same frames.
  assert.deepEqual(times(frames.selectForUtterance(9000, 10_000)), [6000, 7500, 8500, 10_000]);
});

test('a gap over frameGapResetMs clears the buffer; a gap of exactly that does not', () => {
  const frames = buffer();
  feed(frames, 0, 2000, 500);
  frames.push(frame(), 3000); // gap 1000: kept
  assert.equal(frames.size, 6);
  frames.push(frame(), 4001); // gap 1001: the camera was off
  assert.deepEqual(times(frames.snapshot()), [4001]);
  feed(frames, 4500, 5000, 500);
  // Fewer frames than N: all of them, no duplicates.
  assert.deepEqual(times(frames.selectForUtterance(3000, 5000)), [4001, 4500, 5000]);
});

test('long utterance: one frame per second over the utterance, capped at 16', () => {
  const frames = buffer();
  feed(frames, 0, 9500, 500);
  frames.beginUtterance(10_000);
  feed(frames, 10_000, 22_000, 500);
  const picked = times(frames.selectForUtterance(10_000, 22_000));
  assert.equal(picked.length, 12);
  assert.equal(picked[0], 10_000);
  assert.equal(picked.at(-1), 22_000);
  for (const gap of gaps(picked)) assert.ok(gap >= 500 && gap <= 1500, `gap ${gap}`);

  frames.beginUtterance(30_000);
  feed(frames, 22_500, 60_000, 500);
  const capped = times(frames.selectForUtterance(30_000, 60_000));
  assert.equal(capped.length, 16);
  assert.ok(capped[0]! >= 30_000 && capped.at(-1) === 60_000);
  for (const gap of gaps(capped)) assert.ok(gap >= 1500 && gap <= 2500, `gap ${gap}`);
});

test('without beginUtterance a long utterance only sees the window, and endUtterance drops the hold', () => {
  const frames = buffer();
  feed(frames, 0, 12_000, 500);
  assert.deepEqual(times(frames.selectForUtterance(2000, 12_000)), [8000, 8500, 9000, 9500, 10_000, 10_500, 11_000, 11_500, 12_000]);

  frames.beginUtterance(12_000);
  feed(frames, 12_500, 20_000, 500);
  assert.equal(frames.snapshot()[0]!.capturedAtMs, 8000); // held since start - window
  frames.endUtterance();
  frames.push(frame(), 20_500);
  assert.equal(frames.snapshot()[0]!.capturedAtMs, 16_500);
});

test('a 100 fps burst keeps memory bounded and still yields evenly spaced frames', () => {
  const frames = buffer({ maxBufferedFrames: 64 });
  feed(frames, 0, 10_000, 10);
  assert.ok(frames.size <= 64, `size ${frames.size}`);
  const held = times(frames.snapshot());
  assert.ok(held[0]! >= 6000 && held.at(-1) === 10_000);
  for (const gap of gaps(held)) assert.ok(gap <= 200, `held gap ${gap}`); // thinned evenly, not just the newest kept
  const picked = times(frames.selectForUtterance(9000, 10_000));
  assert.equal(picked.length, 4);
  assert.equal(picked.at(-1), 10_000);
  for (const gap of gaps(picked)) assert.ok(gap >= 1000 && gap <= 1600, `gap ${gap}`);

  // Held over a long utterance at 100 fps: still bounded.
  frames.beginUtterance(10_000);
  feed(frames, 10_010, 40_000, 10);
  assert.ok(frames.size <= 64);
  assert.equal(frames.selectForUtterance(10_000, 40_000).length, 16);
});

test('the byte cap thins frames too, and always keeps the newest', () => {
  const frames = buffer({ maxBufferedBytes: 5000 });
  feed(frames, 0, 3000, 100, 1000);
  assert.ok(frames.byteLength <= 5000);
  assert.equal(frames.size, 5);
  assert.equal(frames.snapshot().at(-1)!.capturedAtMs, 3000);
  frames.push(frame(9000), 3100); // larger than the cap on its own
  assert.deepEqual(times(frames.snapshot()), [3100]);
});

test('timestamps: explicit, from the frame, or from the injected clock; never backwards', () => {
  let now = 1000;
  const frames = new FrameBuffer({ now: () => now });
  frames.push(frame()); // clock: 1000
  frames.push({ ...frame(), capturedAtMs: 1400 }); // the frame's own time
  now = 1700;
  frames.push(frame());
  frames.push(frame(), 1500); // earlier than the last one: clamped to 1700
  assert.deepEqual(times(frames.snapshot()), [1000, 1400, 1700, 1700]);
});

test('frames after the utterance end or before the window are not attached; 0 per query disables', () => {
  const frames = buffer();
  feed(frames, 0, 6000, 500);
  // Held: 2000..6000. Window for an end at 4900: 2000..4500; targets 2000, 2833, 3667, 4500.
  assert.deepEqual(times(frames.selectForUtterance(4000, 4900)), [2000, 3000, 3500, 4500]);
  // Camera stopped long before the question: nothing recent to show.
  assert.deepEqual(frames.selectForUtterance(12_000, 14_000), []);
  const off = buffer({ framesPerQuery: 0 });
  feed(off, 0, 2000, 500);
  assert.deepEqual(off.selectForUtterance(0, 2000), []);
});

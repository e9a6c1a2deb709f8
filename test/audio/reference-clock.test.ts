import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { ReferenceClock } from '../../server/audio/echo/reference-clock.js';

// Where each microphone frame is read in the reference (reference-clock.ts): here, the skip past
// a stall's silence the client played through (stall-check.ts), kept for the rest of the answer
// and forgotten when a new answer is placed after a longer silence.

const FRAME = 160;

function tone(ms: number): Float32Array {
  return new Float32Array(ms * 16).fill(0.1);
}

/** A clock over a fresh reference; `next` reads the next frame's position (its chunk arriving 10 ms later). */
function clockFramed() {
  const reference = new EchoReference({ originMs: 0 });
  const clock = new ReferenceClock(reference, 16, FRAME, 500 * 16);
  let frame = 0;
  const next = (echoOver: boolean) => {
    clock.arrived(FRAME, (frame + 1) * 10);
    return clock.position(frame++, echoOver);
  };
  return { reference, clock, next };
}

test('a skipped stall moves every later frame that much into the reference; a run placed after a silence longer than any client buffers starts over', () => {
  const { reference, clock, next } = clockFramed();
  reference.sent(tone(1000), 16000, 0);
  assert.equal(next(false), 0);
  assert.equal(next(false), FRAME);
  clock.skipStall(300 * 16);
  assert.equal(next(false), 2 * FRAME + 300 * 16, 'read past the silence');
  // A stall (300 ms of silence placed) keeps the skip when its run is aligned.
  reference.sent(tone(100), 16000, 1300);
  assert.equal(reference.runs, 2);
  assert.equal(next(true), 3 * FRAME + 300 * 16, 'a stall run keeps the skip');
  // A new answer 2 s later: the client surely ran dry, the skip is forgotten.
  reference.sent(tone(100), 16000, 3400);
  assert.equal(reference.runs, 3);
  assert.equal(next(true), 4 * FRAME, 'a new answer starts where the server placed it');
});

test('a move between samples (a new answer found off its placing) is read that much later, its part of a sample kept apart for the fractional read, and forgotten with the skip at the next answer', () => {
  const { reference, clock, next } = clockFramed();
  reference.sent(tone(1000), 16000, 0);
  assert.equal(next(false), 0);
  assert.equal(clock.subSample, 0);
  clock.skipStall(-1.5);
  assert.equal(next(false), FRAME - 1.5);
  assert.equal(clock.subSample, -0.5, 'a sample and a half earlier: one whole sample and half a sample earlier');
  clock.skipStall(0.75);
  assert.equal(clock.subSample, 0.25);
  reference.sent(tone(100), 16000, 3400);
  assert.equal(next(true), 2 * FRAME);
  assert.equal(clock.subSample, 0, 'a new answer starts where the server placed it');
});

test("a new run aligned to a client clock that has moved moves the reading by whole samples: the filter's sub-sample phase is kept", () => {
  const reference = new EchoReference({ originMs: 0 });
  const clock = new ReferenceClock(reference, 16, FRAME, 500 * 16);
  // The client's clock runs 230 ppm slow: its frames arrive a little later each time.
  const arrivalMs = (frame: number) => (frame + 1) * 10 * (1 + 230e-6);
  let frame = 0;
  const next = (echoOver: boolean) => {
    clock.arrived(FRAME, arrivalMs(frame));
    return clock.position(frame++, echoOver);
  };
  reference.sent(tone(10_000), 16000, 0);
  const first = next(false);
  for (let i = 0; i < 1199; i++) next(false);
  // 12 s in, a new answer: the arrival line has moved about 2.76 ms (44.2 samples).
  reference.sent(tone(1000), 16000, 12_000);
  const moved = next(true) - first - 1200 * FRAME;
  assert.ok(Math.abs(moved) > 16, `the alignment moved only ${moved} samples`);
  assert.ok(Math.abs(moved - Math.round(moved)) < 1e-6, `moved ${moved} samples: not whole`);
});

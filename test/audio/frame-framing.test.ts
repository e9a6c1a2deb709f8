import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameFraming } from '../../server/audio/echo/frame-framing.js';

const FRAME = 160;

test('samples are cut into whole 10 ms frames, the rest kept for the next call; what is emitted comes back as floats, in order', () => {
  const framing = new FrameFraming();
  const seen: number[] = [];
  const ramp = (from: number, n: number): Float32Array => Float32Array.from({ length: n }, (_, k) => ((from + k) % 1000) / 32768);
  // 250 samples: one frame, 90 kept.
  let out = framing.frames(ramp(0, 250), 0, (frame) => {
    seen.push(frame[0]!, frame[FRAME - 1]!);
    framing.emit(frame);
  });
  assert.deepEqual(seen, [0, 159]);
  assert.equal(out.length, FRAME);
  assert.equal(Math.round(out[159]! * 32768), 159);
  // 70 more complete the second frame, which begins with the 90 kept.
  out = framing.frames(ramp(250, 70), 0, (frame) => {
    seen.push(frame[0]!, frame[FRAME - 1]!);
    framing.emit(frame);
  });
  assert.deepEqual(seen.slice(2), [160, 319]);
  assert.equal(out.length, FRAME);
});

test('a frame not emitted is not handed on; frames held before go out with room made for them; samples clip at full scale', () => {
  const framing = new FrameFraming();
  const held = new Int16Array(FRAME).fill(-32768);
  let calls = 0;
  const out = framing.frames(new Float32Array(2 * FRAME).fill(2), 3, (frame) => {
    calls++;
    assert.equal(frame[0], 32767, 'clipped');
    // The first frame is held back (not emitted); three held before go out in its place, then the second.
    if (calls === 1) for (let k = 0; k < 3; k++) framing.emit(held);
    else framing.emit(frame);
  });
  assert.equal(calls, 2);
  assert.equal(out.length, 4 * FRAME);
  assert.equal(out[0], -1);
  assert.equal(out[3 * FRAME], 32767 / 32768);
  // A flush: begin with room for what is held, emit, read the output.
  framing.begin(1);
  framing.emit(held);
  assert.equal(framing.output.length, FRAME);
});

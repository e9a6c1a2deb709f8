import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoLagMeter } from '../../server/audio/echo/echo-lag-meter.js';
import { readAtFraction } from '../../server/audio/echo/fractional-delay.js';
import { noise } from '../support/room.js';

const FRAME = 160;
const FILTER = 4800;

/** Speech-like reference: noise coloured by a resonance (most energy low, as a voice's), int16 scale. */
function reference(samples: number, seed: number): Float64Array {
  const white = noise(samples, -20, seed);
  const out = new Float64Array(samples);
  let a = 0;
  let b = 0;
  for (let i = 0; i < samples; i++) {
    const v = white[i]! * 32768 + 1.6 * a - 0.8 * b;
    b = a;
    a = v;
    out[i] = v / 4;
  }
  return out;
}

/** Pushes `frames` frames: the microphone hears the reference `delay` samples late (a fraction too) plus `near`; the reference is read from `readAt(frame)`. */
function run(meter: EchoLagMeter, ref: Float64Array, delay: number, frames: number, readAt: (frame: number) => number, near?: Float32Array): number[] {
  const measured: number[] = [];
  const mic = new Int16Array(FRAME);
  const play = new Int16Array(FRAME);
  for (let f = 0; f < frames; f++) {
    const at = FILTER + f * FRAME;
    readAtFraction(ref, 0, at - delay, mic);
    if (near) for (let i = 0; i < FRAME; i++) mic[i] = Math.max(-32768, Math.min(32767, mic[i]! + Math.round(near[f * FRAME + i]! * 32768)));
    readAtFraction(ref, 0, readAt(f) + FILTER, play);
    meter.push(mic, play, readAt(f));
    if (meter.due) {
      const d = meter.measure(0, () => Math.round(delay));
      if (d !== null) measured.push(d);
    }
  }
  return measured;
}

test('echo lag meter: the echo found to a fraction of a sample where it comes, every 500 ms', () => {
  const ref = reference(FILTER + 400 * FRAME + 8000, 3);
  const meter = new EchoLagMeter(FRAME, FILTER);
  const measured = run(meter, ref, 437.3, 400, (f) => f * FRAME);
  // 4 s of frames: the first window once the filter's length and 256 ms are in, then every 500 ms.
  assert.ok(measured.length >= 6, `${measured.length} measurements`);
  for (const d of measured) assert.ok(Math.abs(d - 437.3) < 0.15, `${d}`);
});

test('echo lag meter: the echo found under a user 10 dB below it; a microphone without echo measures nothing; a reading that moves starts the window over', () => {
  const ref = reference(FILTER + 300 * FRAME + 8000, 5);
  const user = noise(300 * FRAME, -30, 11);
  const overUser = run(new EchoLagMeter(FRAME, FILTER), ref, 437.6, 300, (f) => f * FRAME, user);
  assert.ok(overUser.length >= 4, `${overUser.length} measurements`);
  for (const d of overUser) assert.ok(Math.abs(d - 437.6) < 0.3, `${d}`);
  // The microphone hears only the user: each measurement due says nothing.
  const noEcho = new EchoLagMeter(FRAME, FILTER);
  const mic = new Int16Array(FRAME);
  const play = new Int16Array(FRAME);
  let asked = 0;
  for (let f = 0; f < 300; f++) {
    for (let i = 0; i < FRAME; i++) mic[i] = Math.round(user[f * FRAME + i]! * 32768);
    readAtFraction(ref, 0, f * FRAME + FILTER, play);
    noEcho.push(mic, play, f * FRAME);
    if (noEcho.due) {
      asked++;
      assert.equal(noEcho.measure(0, () => 437), null);
    }
  }
  assert.ok(asked >= 4, `${asked} measurements due`);
  // Read a sample further on every frame: never contiguous, never due.
  const moving = new EchoLagMeter(FRAME, FILTER);
  assert.deepEqual(run(moving, ref, 437, 300, (f) => f * (FRAME + 1)), []);
});

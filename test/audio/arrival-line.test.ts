import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalLine } from '../../server/audio/echo/arrival-line.js';

// 20 ms chunks of 16 kHz audio (320 samples), captured from t=0 and sent 30 ms later.

test('arrival line: network jitter only delays chunks, so it does not move the origin', () => {
  const line = new ArrivalLine(16);
  let seed = 3;
  for (let k = 1; k <= 500; k++) {
    seed = (seed * 48271) % 2147483647;
    line.push(320, k * 20 + 30 + (seed % 80)); // up to 80 ms late
  }
  const origin = line.originMs;
  assert.ok(origin >= 30 && origin < 36, `origin ${origin}`); // the creep allowed between the least delayed chunks
});

test('arrival line: a client clock 1000 ppm fast is followed; a 4 s send gap is placed right once the window has passed', () => {
  const fast = new ArrivalLine(16);
  for (let k = 1; k <= 1500; k++) fast.push(320, k * 20 * (1 - 1e-3) + 30); // 30 s
  // The line 30 ms lower after 30 s (the last 2 s set it).
  assert.ok(Math.abs(fast.originMs - (30 - 28.5)) < 2.5, `fast clock origin ${fast.originMs}`);
  const gapped = new ArrivalLine(16);
  let t = 0;
  for (let k = 1; k <= 100; k++) gapped.push(320, (t = k * 20) + 30);
  assert.ok(Math.abs(gapped.originMs - 30) < 1);
  // Nothing sent from 2 s to 6 s: the samples after carry on from sample 32000.
  for (let k = 1; k <= 150; k++) gapped.push(320, t + 4000 + k * 20 + 30);
  assert.ok(Math.abs(gapped.originMs - 4030) < 1, `after the gap and the window: ${gapped.originMs}`);
});

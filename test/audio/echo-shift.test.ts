import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoShift, SHIFT_BLOCKS } from '../../server/audio/echo/echo-shift.js';
import { seededRandom } from '../../scripts/bench/load/seeded-random.js';

// Whether the envelope model's prediction fits the echo best at its own delay (echo-shift.ts):
// given fixed weights (one tap, 90 ms) and a reference of syllable-like bursts, a microphone that
// follows the reference 50 ms later than the tap says is a moved echo; one that follows it at
// the tap is not; and once moved, the echo counts as moved until the fit at the model's own delay
// is nearly the best again.

const TAPS = 75;
const weights = new Float64Array(TAPS);
weights[9] = 0.2;
const random = seededRandom(11);
const amplitudes: number[] = [];
let level = 0;
for (let b = 0; b < 2000; b++) {
  if (b % 12 === 0) level = random() < 0.25 ? 0 : 3000 * (0.2 + random());
  amplitudes.push(level * (0.5 + random()));
}
/** The reference amplitudes for frame `b` (k = -SHIFT_BLOCKS .. TAPS - 1 + SHIFT_BLOCKS blocks back), as the envelope model reads them. */
function ampsAt(b: number): Float64Array {
  const out = new Float64Array(TAPS + 2 * SHIFT_BLOCKS);
  for (let k = -SHIFT_BLOCKS; k < TAPS + SHIFT_BLOCKS; k++) out[k + SHIFT_BLOCKS] = amplitudes[b - k] ?? 0;
  return out;
}
const echoAt = (b: number, delay: number) => 0.2 * (amplitudes[b - delay] ?? 0);

test('an echo at the delay the weights hold is aligned throughout; one 50 ms later is not within 300 ms', () => {
  const steady = new EchoShift();
  const moved = new EchoShift();
  let movedAt = -1;
  for (let b = 100; b < 1000; b++) {
    steady.frame(weights, ampsAt(b), echoAt(b, 9));
    assert.equal(steady.aligned, true, `the echo where the weights say counted as moved at block ${b}`);
    moved.frame(weights, ampsAt(b), echoAt(b, 14));
    if (!moved.aligned && movedAt < 0) movedAt = b;
  }
  assert.ok(movedAt >= 100 && movedAt < 130, `seen moved at block ${movedAt}`);
  assert.equal(moved.aligned, false, 'still moved while the weights are not relearnt');
});

test('once moved, an echo back where the weights say is aligned again within 100 ms (the fit at the own delay nearly the best again); reset() forgets', () => {
  const shift = new EchoShift();
  for (let b = 100; b < 300; b++) shift.frame(weights, ampsAt(b), echoAt(b, 14));
  assert.equal(shift.aligned, false);
  // The echo back where the weights say: the errors at the model's own delay fall over ~200 ms.
  let alignedAt = -1;
  for (let b = 300; b < 700; b++) {
    shift.frame(weights, ampsAt(b), echoAt(b, 9));
    if (shift.aligned && alignedAt < 0) alignedAt = b;
  }
  assert.ok(alignedAt > 300 && alignedAt < 400, `aligned again at block ${alignedAt}`);
  for (let b = 700; b < 800; b++) shift.frame(weights, ampsAt(b), echoAt(b, 14));
  assert.equal(shift.aligned, false);
  shift.reset();
  assert.equal(shift.aligned, true, 'nothing seen since the reset');
});

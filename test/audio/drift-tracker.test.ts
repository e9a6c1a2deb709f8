import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriftTracker, mainTap } from '../../server/audio/echo/drift-tracker.js';

// Positions of the echo (samples), as the canceller reports them: the first tests from the filter's
// main tap once a second (what the tracker was built on), the later ones measured every 500 ms.

test('drift tracker: a tap moving 1.6 samples a second is 100 ppm; a still one is none', () => {
  const moving = new DriftTracker(16000);
  const still = new DriftTracker(16000);
  for (let t = 1; t <= 8; t++) {
    const wobble = 0.05 * Math.sin(t * 2.1);
    moving.observe(t, 1440 + 1.6 * t + wobble, 0);
    still.observe(t, 1440 + wobble, 0);
  }
  assert.ok(Math.abs(moving.rate * 1e6 - 100) < 3, `${moving.rate * 1e6} ppm`);
  assert.equal(still.rate, 0);
  // Over a 20 s run the echo drifted 32 samples: a new run starts afresh from that.
  assert.ok(Math.abs(moving.newRun(20, 0) - 32) < 1);
});

test('drift tracker: what the compensation takes out counts as drift; a jump of the tap starts the fit over', () => {
  const tracker = new DriftTracker(16000);
  // Compensated from 4 s on at the true rate: the tap stands still, the sum still moves.
  for (let t = 1; t <= 8; t++) {
    const compensated = Math.max(0, t - 4) * 1.6;
    tracker.observe(t, 1440 + 1.6 * Math.min(t, 4), compensated);
  }
  assert.ok(Math.abs(tracker.rate * 1e6 - 100) < 3, `${tracker.rate * 1e6} ppm`);
  // Another tap (or a relearnt filter): the fit starts over, the rate found stays.
  for (let t = 9; t <= 11; t++) tracker.observe(t, 900, 8);
  assert.ok(Math.abs(tracker.rate * 1e6 - 100) < 3);
});

test('main tap: the largest tap, to a fraction of a sample', () => {
  const ir = new Int32Array(64);
  ir[20] = 1000;
  ir[21] = 3000;
  ir[22] = 2000;
  const at = mainTap(ir);
  assert.ok(at > 21 && at < 21.5, `${at}`);
  ir[40] = -5000;
  assert.equal(mainTap(ir), 40);
});

test('drift tracker: a 300 ppm drift that the filter follows late and in jumps is found roughly, then refined; a still tap as jumpy is no drift', () => {
  // At 300 ppm (4.8 samples a second) the filter's main tap lags the echo and catches up in jumps
  // of several samples (bench:echo's clock rows): no fit is within 0.3 samples, and a tracker that
  // waited for one compensated nothing (ERLE 2-4 dB).
  const jitter = [0, 2.5, -3, 1.5, 3, -2, -1, 2.8, -2.6, 0.5, 1.8, -1.4];
  const drifting = new DriftTracker(16000);
  const still = new DriftTracker(16000);
  let compensated = 0;
  for (let t = 1; t <= 24; t++) {
    // Once the path is read through a rate near the truth, the filter holds it still: its tap steadies.
    const wobble = Math.abs(drifting.rate * 1e6 - 300) < 60 ? 0.05 * Math.sin(t) : jitter[t % jitter.length]!;
    drifting.observe(t, 1440 + 4.8 * t - compensated + wobble, compensated);
    compensated += drifting.rate * 16000;
    still.observe(t, 1440 + jitter[t % jitter.length]!, 0);
  }
  assert.ok(Math.abs(drifting.rate * 1e6 - 300) < 6, `${drifting.rate * 1e6} ppm`);
  assert.equal(still.rate, 0);
});

// Delays measured every 500 ms (echo-lag-meter.ts), scattered as bench:echo's rooms showed (0.13-0.28 samples RMS).
const SCATTER = [0.12, -0.2, 0.05, 0.18, -0.1, -0.15, 0.2, -0.05, 0.1, -0.18, 0.02, 0.15, -0.12, 0.08, -0.02, 0.16];

test('drift tracker: 100 ppm measured every 500 ms is found 1.5 s after the first measurement; a still echo as scattered is none', () => {
  const moving = new DriftTracker(16000);
  const still = new DriftTracker(16000);
  let foundAt: number | null = null;
  for (let k = 0; k < 24; k++) {
    const t = 0.5 + k * 0.5;
    moving.observe(t, 1440 + 1.6 * t + SCATTER[k % SCATTER.length]!, 0);
    still.observe(t, 1440 + SCATTER[k % SCATTER.length]!, 0);
    if (foundAt === null && moving.rate !== 0) foundAt = t;
    assert.equal(still.rate, 0, `a still echo took ${still.rate * 1e6} ppm at ${t} s`);
  }
  assert.equal(foundAt, 2);
  assert.ok(Math.abs(moving.rate * 1e6 - 100) < 5, `${moving.rate * 1e6} ppm`);
});

test('drift tracker: one measurement off the line (a reflection) is left out; two in a row start the fit over', () => {
  const tracker = new DriftTracker(16000);
  for (let k = 0; k < 20; k++) {
    const t = 0.5 + k * 0.5;
    const off = k === 10 ? 5 : 0;
    tracker.observe(t, 1440 + 4.8 * t + off + SCATTER[k % SCATTER.length]!, 0);
  }
  assert.ok(Math.abs(tracker.rate * 1e6 - 300) < 6, `${tracker.rate * 1e6} ppm`);
  // Over a 20 s run the echo drifted 96 samples: a new run starts afresh from that.
  assert.ok(Math.abs(tracker.newRun(20, 0) - 96) < 1);
  // The echo moved 30 samples and stays there: after two measurements there, the line starts over there.
  const moved = new DriftTracker(16000);
  for (let k = 0; k < 16; k++) moved.observe(0.5 + k * 0.5, (k < 10 ? 1440 : 1470) + 1.6 * (0.5 + k * 0.5), 0);
  assert.ok(Math.abs(moved.rate * 1e6 - 100) < 5, `${moved.rate * 1e6} ppm`);
  assert.ok(Math.abs(moved.newRun(8, 0) - 12.8) < 0.5);
  // A still echo's line leans by chance; no rate is taken, and a new run is read where the last one was.
  const still = new DriftTracker(16000);
  for (let k = 0; k < 24; k++) still.observe(0.5 + k * 0.5, 1440 + 0.02 * k + SCATTER[k % SCATTER.length]!, 0);
  assert.equal(still.rate, 0);
  assert.equal(still.newRun(20, 0), 0);
});

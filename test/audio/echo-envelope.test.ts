// The echo's loudness model for the first seconds of a session (EchoEnvelope): learns a room's
// delay and gain from 10 ms energies within about a second, is not taught the user's voice, and
// stands down after a delay jump until it has relearnt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoEnvelope } from '../../server/audio/echo/echo-envelope.js';
import { seededRandom } from '../../scripts/bench/load/seeded-random.js';

/** Reference block energies: syllable-like bursts (int16 units, mean square). */
function referenceEnergies(blocks: number, seed: number): number[] {
  const random = seededRandom(seed);
  const out: number[] = [];
  let level = 0;
  for (let b = 0; b < blocks; b++) {
    if (b % 12 === 0) level = random() < 0.25 ? 0 : 1e5 * (0.2 + random());
    out.push(level * (0.5 + random()));
  }
  return out;
}

/** The echo: the reference `delay` blocks late with an energy gain, plus a weaker reflection. */
function echoOf(ref: number[], b: number, delay: number): number {
  const at = (k: number) => (k >= 0 ? ref[k]! : 0);
  return 0.05 * at(b - delay) + 0.01 * at(b - delay - 4) + 1;
}

function drive(model: EchoEnvelope, ref: number[], from: number, to: number, mic: (b: number) => number): number[] {
  const ratios: number[] = [];
  for (let b = from; b < to; b++) {
    const predicted = model.frame(mic(b), (k) => (b - k >= 0 ? ref[b - k]! : 0));
    if (model.usable && ref[b - 9]! > 0 && predicted > 100) ratios.push(10 * Math.log10(mic(b) / predicted));
  }
  return ratios;
}

// The gate needs the user 9 dB above the prediction (ENVELOPE_ONSET_MARGIN): the echo alone must
// stay well under that. (6.4 dB here since a louder frame teaches the trained model at half the
// step, so that it does not chase a user's rising word; 6.0 dB before.)
test('learns the echo of a room 90 ms away within about a second: then no block comes 6.5 dB above the prediction', () => {
  const ref = referenceEnergies(600, 1);
  const model = new EchoEnvelope();
  drive(model, ref, 0, 100, (b) => echoOf(ref, b, 9));
  assert.equal(model.usable, true, 'trained after a second of reference');
  const ratios = drive(model, ref, 100, 600, (b) => echoOf(ref, b, 9));
  assert.ok(ratios.length > 200);
  assert.ok(Math.max(...ratios) < 6.5, `worst block ${Math.max(...ratios).toFixed(1)} dB over the prediction`);
});

test("the user's voice over the echo is not learnt: the prediction after it is what it was", () => {
  const ref = referenceEnergies(800, 2);
  const model = new EchoEnvelope();
  drive(model, ref, 0, 300, (b) => echoOf(ref, b, 9));
  // 400 ms of a user 10 dB over the echo.
  drive(model, ref, 300, 340, (b) => echoOf(ref, b, 9) * 10 + 2e4);
  const after = model.frame(echoOf(ref, 340, 9), (k) => ref[340 - k]!);
  const expected = new EchoEnvelope();
  drive(expected, ref, 0, 340, (b) => echoOf(ref, b, 9));
  const clean = expected.frame(echoOf(ref, 340, 9), (k) => ref[340 - k]!);
  assert.ok(clean > 100, 'the echo is predicted at all');
  assert.ok(Math.abs(10 * Math.log10(after / clean)) < 1.5, `prediction ${after.toFixed(0)} after the user, ${clean.toFixed(0)} without`);
});

test('a delay jump (the echo missing, then 150 ms later) makes it stand down until it has relearnt', () => {
  const ref = referenceEnergies(900, 3);
  const model = new EchoEnvelope();
  drive(model, ref, 0, 300, (b) => echoOf(ref, b, 9));
  assert.equal(model.usable, true);
  // The client ran dry: no echo for 150 ms, then the rest of the answer 15 blocks later.
  let stoodDown = -1;
  for (let b = 300; b < 900; b++) {
    const mic = b < 315 ? 1 : echoOf(ref, b, 24);
    model.frame(mic, (k) => (b - k >= 0 ? ref[b - k]! : 0));
    if (!model.usable && stoodDown < 0) stoodDown = b;
    if (stoodDown >= 0 && b < stoodDown + 100) assert.equal(model.usable, false, `usable again at block ${b}, ${b - stoodDown} blocks after standing down`);
  }
  // While the echo is missing, or as soon as the shifted echo leaves the old prediction's gaps empty.
  assert.ok(stoodDown >= 300 && stoodDown < 340, `stood down at block ${stoodDown}`);
  assert.equal(model.usable, true, 'relearnt by the end');
});

test('a quiet microphone where the filter heard no echo either (echoExpected false) is no delay jump', () => {
  // 400 ms of silence where the echo was: told that the converged filter expected no echo there
  // (at 0 dB the model had learnt a user's word as echo, and the user and the answer paused
  // together), it stays usable; told nothing, it stands down.
  const ref = referenceEnergies(400, 3);
  const vetoed = new EchoEnvelope();
  const alone = new EchoEnvelope();
  drive(vetoed, ref, 0, 320, (b) => echoOf(ref, b, 9));
  drive(alone, ref, 0, 320, (b) => echoOf(ref, b, 9));
  for (let b = 320; b < 360; b++) {
    vetoed.frame(1, (k) => ref[b - k]!, false);
    alone.frame(1, (k) => ref[b - k]!);
  }
  assert.equal(alone.usable, false, 'a missing echo the filter expected too is a jump');
  assert.equal(vetoed.usable, true, 'a missing echo the filter did not expect is none');
});

test('standDown() (the path bound saw the echo move): unusable while it relearns, then usable again', () => {
  const ref = referenceEnergies(1000, 4);
  const model = new EchoEnvelope();
  drive(model, ref, 0, 300, (b) => echoOf(ref, b, 9));
  assert.equal(model.usable, true);
  model.standDown();
  assert.equal(model.usable, false);
  // The echo now 30 blocks later.
  let usableAgain = -1;
  for (let b = 300; b < 1000; b++) {
    model.frame(echoOf(ref, b, 39), (k) => (b - k >= 0 ? ref[b - k]! : 0));
    if (model.usable && usableAgain < 0) usableAgain = b;
  }
  // No sooner than DISTRUST_FRAMES (1 s), and not never.
  assert.ok(usableAgain >= 400, `usable again at block ${usableAgain}, ${usableAgain - 300} blocks after standing down`);
});

test('silentFrame() (every tap silent: between answers) leaves the model as frame() with silent taps does', () => {
  const ref = referenceEnergies(600, 5);
  const a = new EchoEnvelope();
  const b = new EchoEnvelope();
  const mic = (k: number) => echoOf(ref, k, 9);
  drive(a, ref, 0, 300, mic);
  drive(b, ref, 0, 300, mic);
  // 200 frames of the user (and of silence) with no reference: one model through each door.
  const random = seededRandom(9);
  for (let k = 0; k < 200; k++) {
    const user = k % 50 < 30 ? 1e5 * random() : 3;
    assert.equal(a.frame(user, () => 0), b.silentFrame(user));
    assert.equal(a.usable, b.usable);
  }
  // The assistant speaks again: both predict the same, frame after frame.
  for (let k = 300; k < 500; k++) {
    const at = (j: number) => (k - j >= 300 ? ref[k - j]! : 0);
    assert.equal(a.frame(mic(k), at), b.frame(mic(k), at), `frame ${k}`);
  }
  assert.ok(a.trained);
});

test("a pause in the answer that has reached the echo's direct path is no dropout, though the path's tail still predicts echo", () => {
  // A far room's path, 430 ms late with a tail 150-250 ms past it, learnt from a loud answer.
  const ref = referenceEnergies(700, 6).map((e, b) => (b >= 500 && b < 560 ? 0 : 100 * e));
  const withTail = (b: number) => {
    let e = 0.05 * (ref[b - 43] ?? 0) + 1;
    for (let k = 58; k <= 68; k++) e += 0.004 * (ref[b - k] ?? 0);
    return e;
  };
  const taps = (b: number) => (k: number) => (b - k >= 0 ? ref[b - k]! : 0);
  const paused = new EchoEnvelope();
  const dropped = new EchoEnvelope();
  for (let b = 0; b < 500; b++) {
    paused.frame(withTail(b), taps(b));
    dropped.frame(withTail(b), taps(b));
  }
  assert.equal(paused.usable, true);
  // The pause reaches the direct path at block 543 and the tail at 558: in between, the
  // microphone at its floor (the tail's echo fainter than the model holds it) is no dropout.
  for (let b = 500; b < 558; b++) {
    paused.frame(b < 543 ? withTail(b) : 1, taps(b));
    assert.equal(paused.usable, true, `stood down at block ${b}, the direct path's reference silent since ${b - 543} blocks`);
  }
  // The microphone at its floor while the direct path's reference is loud is one (the client ran dry).
  for (let b = 500; b < 510; b++) dropped.frame(b < 505 ? withTail(b) : 1, taps(b));
  assert.equal(dropped.usable, false, 'the echo missing under a loud reference is a dropout');
});

test('an echo later than the delays the model is built for (its tail past the taps) is never vouched for', () => {
  // 500 ms and less with a 120 ms tail fits the 750 ms of taps; 700 ms does not.
  const ref = referenceEnergies(600, 5);
  for (const [delay, usable] of [[50, true], [70, false]] as const) {
    const model = new EchoEnvelope();
    drive(model, ref, 0, 600, (b) => echoOf(ref, b, delay));
    assert.equal(model.trained, true, `${delay * 10} ms: trained`);
    assert.equal(model.usable, usable, `${delay * 10} ms: usable`);
  }
});

test("an echo moved 50 ms later with no dropout (a short underrun the room's tail fills) is no longer where the model predicts it within 500 ms, until relearnt; the echo where it learnt it never counts as moved", () => {
  const ref = referenceEnergies(1500, 7);
  const taps = (b: number) => (k: number) => (b - k >= 0 ? ref[b - k] ?? 0 : 0);
  const steady = new EchoEnvelope();
  for (let b = 0; b < 1500; b++) {
    steady.frame(echoOf(ref, b, 9), taps(b));
    assert.equal(steady.aligned, true, `the steady echo counted as moved at block ${b}`);
  }
  const moved = new EchoEnvelope();
  for (let b = 0; b < 300; b++) moved.frame(echoOf(ref, b, 9), taps(b));
  let firstMoved = -1;
  let lastMoved = -1;
  for (let b = 300; b < 1500; b++) {
    moved.frame(echoOf(ref, b, 14), taps(b));
    if (!moved.aligned) {
      if (firstMoved < 0) firstMoved = b;
      lastMoved = b;
    }
  }
  assert.ok(firstMoved >= 300 && firstMoved < 350, `seen moved at block ${firstMoved}`);
  assert.ok(lastMoved < 1400, `still moved at block ${lastMoved}: never relearnt`);
});

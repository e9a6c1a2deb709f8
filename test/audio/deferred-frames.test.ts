import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredFrames, MOST_DEFERRED } from '../../server/audio/echo/deferred-frames.js';
import { EstimateRise } from '../../server/audio/echo/estimate-rise.js';
import { meanSquare, TiltedEnergies } from '../../server/audio/echo/frame-energy.js';
import { OnsetGate } from '../../server/audio/echo/onset-gate.js';
import { SpeexEchoCanceller, speexAvailability } from '../../server/audio/echo/speex.js';

// A new answer's first frames, held back while its run is searched for, then handed on as the
// filter cancelled them when it heard them again (the canceller around it: echo-new-run.test.ts).

const noSpeex = speexAvailability().available ? false : 'libspeexdsp1 is not installed';
const FRAME = 160;
const ONSET = 10 ** (12 / 10);
const CONTINUE = 10 ** (6 / 10);

function parts() {
  const speex = new SpeexEchoCanceller({ frameSize: FRAME, filterLength: 1600, sampleRate: 16000, echoSuppressDb: -40, echoSuppressActiveDb: -15, noiseSuppressDb: -6 });
  const gate = new OnsetGate(ONSET, CONTINUE);
  const emitted: Int16Array[] = [];
  const doubleTalk: number[] = [];
  const deferred = new DeferredFrames({ speex, estimateRise: new EstimateRise(), tilted: new TiltedEnergies(), gate, onsetMargin: ONSET, continueMargin: CONTINUE, emit: (f) => emitted.push(f.slice()), heardDoubleTalk: (n) => doubleTalk.push(n) });
  return { speex, gate, emitted, deferred, doubleTalk };
}

/** A frame of a constant value (its index, to tell frames apart). */
const frameOf = (v: number): Int16Array => new Int16Array(FRAME).fill(v);

/** Commits a frame the gate judged as a held one: reference audible, the filter distrusted, the room's echo bound far over the microphone. */
function commitHeld(gate: OnsetGate, micEnergy: number): void {
  Object.assign(gate.next, { active: true, trusted: false, outEnergy: micEnergy, micEnergy, residual: 100, onsetExcess: 1, boundEcho: Number.POSITIVE_INFINITY, rawResidual: micEnergy * 100, envelopeEcho: 0, spectralTotal: 0, earlyExpected: 0 });
  gate.commit();
}

test('frames held back go on in order, as they came, where none was heard again (a flush, or the run not found surely)', { skip: noSpeex }, () => {
  const { deferred, emitted, speex } = parts();
  for (let k = 0; k < 3; k++) deferred.defer(k, frameOf(k + 1), 100);
  assert.equal(deferred.pending, 3);
  deferred.release(true);
  assert.deepEqual(emitted.map((f) => f[0]), [1, 2, 3]);
  assert.equal(deferred.pending, 0);
  // Heard again, but released as they came (asCame): the held frames, not the filter's output.
  for (let k = 0; k < 2; k++) deferred.defer(10 + k, frameOf(20 + k), 100);
  for (let k = 0; k < 2; k++) deferred.heardAgain(frameOf(20 + k), frameOf(-5), 25, false, false);
  deferred.release(true, true);
  assert.deepEqual(emitted.slice(3).map((f) => f[0]), [20, 21]);
  speex.close();
});

test('the frames heard again in order are the held ones from the end (a hold that began before them replays more), and a vouched release judges them as a trusted filter\'s', { skip: noSpeex }, () => {
  const { deferred, emitted, gate, speex, doubleTalk } = parts();
  const loud = 1e6;
  // Frames 0-2 held back, the gate distrusting the filter in each: loud as they are, the room's bound holds them back.
  for (let k = 0; k < 3; k++) {
    commitHeld(gate, loud);
    deferred.defer(k, frameOf(1000), 100);
  }
  assert.equal(gate.allowsOnset(0, 3, false), false, 'held: judged against the room\'s bound');
  // Four frames heard again (the first held before these were deferred): the last three are theirs.
  const outs = [7, 3000, 3000, 3000];
  for (const v of outs) deferred.heardAgain(frameOf(1000), frameOf(v), v * v, false, false);
  deferred.release(true);
  assert.equal(emitted.length, 3);
  // Over the residual (100) by far: the user, as live, goes on as the linear output.
  for (const f of emitted) assert.equal(f[0], 3000);
  assert.equal(gate.allowsOnset(0, 3, false), true, 'revised: the output far over the residual starts speech');
  assert.deepEqual(doubleTalk, [3], 'three frames of the user\'s voice, the run found surely: double talk');
  speex.close();
});

test('a vouched release of frames the filter cancelled within the residual hands on the suppressed output, and the gate holds them back', { skip: noSpeex }, () => {
  const { deferred, emitted, gate, speex, doubleTalk } = parts();
  for (let k = 0; k < 2; k++) {
    commitHeld(gate, 1e6);
    deferred.defer(k, frameOf(1000), 100);
  }
  // Cancelled to a few units: within the residual (100) by the continue margin.
  for (let k = 0; k < 2; k++) deferred.heardAgain(frameOf(1000), frameOf(3), 9, false, false);
  deferred.release(true);
  assert.equal(emitted.length, 2);
  for (const f of emitted) assert.ok(meanSquare(f) <= 9, 'the suppressed output, no louder than the linear');
  assert.equal(gate.allowsOnset(0, 2, false), false);
  assert.deepEqual(doubleTalk, [0], 'echo within the residual: no double talk');
  // The first frame heard after a hold, the suppressor stale: the lesser of the two is judged.
  deferred.defer(2, frameOf(1000), 100);
  deferred.heardAgain(frameOf(1000), frameOf(3), 9, false, true);
  deferred.release(false);
  assert.equal(emitted.length, 3, 'not vouched: handed on all the same');
  assert.equal(emitted[2]![0], 3, 'as the filter cancelled it (linear): the gate judges it as it came');
  assert.deepEqual(doubleTalk, [0], 'not vouched: nothing told');
  speex.close();
});

test('no more than MOST_DEFERRED frames are held back', { skip: noSpeex }, () => {
  const { deferred, speex } = parts();
  for (let k = 0; k < MOST_DEFERRED; k++) deferred.defer(k, frameOf(1), 1);
  assert.equal(deferred.hasRoom, false);
  assert.throws(() => deferred.defer(MOST_DEFERRED, frameOf(1), 1), RangeError);
  speex.close();
});

test('the first frame heard after a hold, the suppressor stale: the user stands out by the linear output, so a frame the stale suppressor crushed goes on linear', { skip: noSpeex }, () => {
  const { deferred, emitted, gate, speex } = parts();
  commitHeld(gate, 4e6);
  deferred.defer(0, frameOf(2000), 100);
  // A steady value: the suppressor takes it out (as a stale one took out a user's first 10 ms over
  // a new answer's echo: 58 -> 23 dB, office room, and the word fell short of the VAD's minimum).
  const linear = frameOf(2000);
  const alone = new SpeexEchoCanceller({ frameSize: FRAME, filterLength: 1600, sampleRate: 16000, echoSuppressDb: -40, echoSuppressActiveDb: -15, noiseSuppressDb: -6 });
  const suppressed = linear.slice();
  alone.suppress(suppressed);
  alone.close();
  assert.ok(meanSquare(suppressed) <= 100 * CONTINUE, 'the suppressor crushes it within the residual');
  deferred.heardAgain(frameOf(2000), linear, meanSquare(linear), false, true);
  deferred.release(true);
  assert.equal(emitted.length, 1);
  assert.equal(emitted[0]![0], 2000, 'the linear output, the user standing 46 dB over the residual');
  speex.close();
});

test('frames held of which fewer were heard again than held are not judged as a trusted filter\'s: the first heard met a filter without the frames before them', { skip: noSpeex }, () => {
  const { deferred, emitted, gate, speex, doubleTalk } = parts();
  const loud = 1e6;
  // Five frames held, loud echo in each: the room's bound holds them back.
  for (let k = 0; k < 5; k++) {
    commitHeld(gate, loud);
    deferred.defer(k, frameOf(1000), 100);
  }
  // Only the last three heard again (the search outlasted what the hold keeps), the filter leaving the echo whole.
  for (let k = 0; k < 3; k++) deferred.heardAgain(frameOf(1000), frameOf(1000), loud, false, false);
  deferred.release(true);
  assert.equal(emitted.length, 5);
  // Not revised: still judged against the room's bound, the echo alone starts nothing.
  assert.equal(gate.allowsOnset(0, 5, false), false);
  assert.equal(gate.allowsOnset(2, 5, false), false);
  assert.deepEqual(doubleTalk, [], 'not vouched: nothing counted as double talk');
  speex.close();
});

// The echo's onsets as the filter's own echo estimate shows them (estimate-rise.ts): where the
// gate wants speech to stand more over the residual the leak expects before it starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EstimateRise, ONSET_EXCESS } from '../../server/audio/echo/estimate-rise.js';

const db = (x: number) => 10 ** (x / 10);
/** Pre-emphasised, the filter cancels the frame 20 dB (aligned, the echo alone), or 2 dB (misaligned, or the user's voice). */
const CANCELLED = { micEnergy: db(60), outputEnergy: db(40) };
const UNCANCELLED = { micEnergy: db(60), outputEnergy: db(58) };

test('a steady echo, its frames 3 dB apart, has no onset; a sound 20 dB louder after it marks 100 ms of frames, until the least caught up', () => {
  const rise = new EstimateRise();
  for (let f = 0; f < 50; f++) assert.equal(rise.push(db(f % 2 === 0 ? 50 : 53), CANCELLED), false, `steady frame ${f}`);
  const onset: boolean[] = [];
  for (let f = 0; f < 14; f++) onset.push(rise.push(db(72), CANCELLED));
  assert.deepEqual(onset, [...Array(10).fill(true), ...Array(4).fill(false)]);
  assert.equal(rise.excess(true), 1, 'no excess once the onset is over');
});

test('a rise under 6 dB is no onset; the assistant speaking again after silence is; only frames the filter ran have an excess', () => {
  const rise = new EstimateRise();
  for (let f = 0; f < 20; f++) rise.push(db(50), CANCELLED);
  assert.equal(rise.push(db(55), CANCELLED), false, '5 dB');
  assert.equal(rise.push(db(57), CANCELLED), true, '7 dB');
  assert.equal(rise.excess(true), ONSET_EXCESS);
  assert.equal(rise.excess(false), 1, 'the filter did not run in the frame');
  const fresh = new EstimateRise();
  assert.equal(fresh.push(db(40), CANCELLED), false, 'a first frame has nothing to rise from');
  for (let f = 0; f < 10; f++) fresh.push(0, CANCELLED);
  assert.equal(fresh.push(db(40), CANCELLED), true, 'from silence');
  assert.equal(fresh.push(0.5, CANCELLED), false, 'under one LSB of energy is no rise');
});

test('a rise where the filter does not cancel the frame deeply pre-emphasised (misaligned, or the user speaking over the echo) is no onset', () => {
  const rise = new EstimateRise();
  for (let f = 0; f < 20; f++) rise.push(db(30), CANCELLED);
  assert.equal(rise.push(db(60), UNCANCELLED), false, 'cancelled 2 dB');
  assert.equal(rise.excess(true), 1);
  assert.equal(rise.push(db(60), { micEnergy: db(60), outputEnergy: db(51) }), false, 'cancelled 9 dB');
  assert.equal(rise.push(db(60), { micEnergy: db(60), outputEnergy: db(50) }), true, 'cancelled 10 dB');
});

test('before the delay is found (a young filter), a rise is an onset wherever the filter does not add energy pre-emphasised', () => {
  const rise = new EstimateRise();
  for (let f = 0; f < 20; f++) rise.push(db(30), CANCELLED, true);
  assert.equal(rise.push(db(60), UNCANCELLED, true), true, 'cancelled 2 dB, young');
  assert.equal(rise.excess(true), ONSET_EXCESS);
  assert.equal(rise.push(db(60), { micEnergy: db(60), outputEnergy: db(61) }, true), false, 'adding 1 dB');
  assert.equal(rise.push(db(60), UNCANCELLED, false), false, 'cancelled 2 dB, the delay found');
});

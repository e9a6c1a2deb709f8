import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShadowEcho } from '../../server/audio/echo/shadow-echo.js';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { lcgNoise as noise, ROOM_RESPONSE, shadowRoom } from '../support/shadow-room.js';

// The filter's response applied to another reading of the reference (shadow-echo.ts): the share of
// a microphone frame it explains is ~1 for the echo read from the right place, ~0 read a frame
// off, and ~0 for a voice unrelated to the reference; the response's scale does not matter.

const IR = ROOM_RESPONSE;
const setup = () => shadowRoom(16000, 7);

test('the echo read from the right place is explained, a frame off it is not, nor an unrelated voice; the scale does not matter', () => {
  const { reference, echoAt } = setup();
  const shadow = new ShadowEcho();
  shadow.load(IR);
  const mic = echoAt(8000, 160);
  assert.ok(shadow.explained(mic, reference, 8000) > 0.99, 'right place');
  assert.ok(shadow.explained(mic, reference, 8160) < 0.05, 'a frame late');
  assert.ok(shadow.explained(mic, reference, 7840) < 0.05, 'a frame early');
  const voice = Int16Array.from(noise(160, 99), (v) => Math.round(v * 8000));
  assert.ok(shadow.explained(voice, reference, 8000) < 0.1, 'an unrelated voice');
  // Half echo, half voice of equal energy: about half explained.
  const both = mic.map((v, i) => v + Math.round(voice[i]! * Math.sqrt(energy(mic) / energy(voice))));
  const half = shadow.explained(both, reference, 8000);
  assert.ok(half > 0.35 && half < 0.65, `mixed: ${half}`);
  const louder = new ShadowEcho();
  louder.load(IR.map((v) => v * 3));
  assert.ok(Math.abs(louder.explained(mic, reference, 8000) - shadow.explained(mic, reference, 8000)) < 1e-9, 'scale');
});

test('a silent reading or an empty response explains nothing', () => {
  const { reference, echoAt } = setup();
  const mic = echoAt(8000, 160);
  const shadow = new ShadowEcho();
  assert.equal(shadow.explained(mic, reference, 8000), 0, 'nothing loaded');
  shadow.load(new Int32Array(4800));
  assert.equal(shadow.explained(mic, reference, 8000), 0, 'all-zero response');
  shadow.load(IR);
  assert.equal(shadow.explained(mic, reference, 40000), 0, 'past what was sent');
});

function energy(x: Int16Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return e;
}

test('bestShift finds the reading the echo comes from, 150 ms later than placed, and its share equals the direct sum at that shift', () => {
  const { reference, echoAt } = setup();
  const shadow = new ShadowEcho();
  shadow.load(IR);
  // The microphone hears the echo 150 ms (2400 samples) later than the reference has it.
  const mic = echoAt(9000 - 2400, 800);
  const found = shadow.bestShift(mic, reference, 9000, -8000, 1600);
  assert.equal(found.shift, -2400);
  assert.ok(found.explained > 0.99, `explained ${found.explained}`);
  assert.ok(found.asPlaced < 0.05, `as placed ${found.asPlaced}`);
  assert.ok(Math.abs(found.explained - shadow.explained(mic, reference, 9000 - 2400)) < 1e-6, 'FFT against the direct sum');
  const placed = shadow.bestShift(echoAt(9000, 800), reference, 9000, -8000, 1600);
  assert.equal(placed.shift, 0);
  assert.ok(placed.asPlaced > 0.99);
});

/** A reference of noise low-passed like speech, and the echo of it read `delay` samples later than from 9000 on (between samples too), 800 samples. */
function lowPassedRoom(): { reference: EchoReference; echoLater: (delay: number) => Int16Array } {
  // [1 2 1] / 4: the interpolator reads a band-limited correlation; white noise up to 8 kHz put the peak 0.06 sample off.
  const white = noise(16000, 7);
  const sent = white.map((v, i) => (i > 0 && i < white.length - 1 ? (white[i - 1]! + 2 * v + white[i + 1]!) / 4 : 0));
  const reference = new EchoReference({ originMs: 0 });
  reference.sent(sent, 16000, 0);
  const echoLater = (delay: number) => {
    const delayed = new Int16Array(16000);
    reference.readFractional(-delay, delayed);
    const mic = new Int16Array(800);
    for (let i = 0; i < mic.length; i++) {
      let y = 0;
      for (let k = 0; k < IR.length; k++) if (IR[k] !== 0) y += (IR[k]! / 32768) * delayed[9000 + i - k]!;
      mic[i] = Math.round(y);
    }
    return mic;
  };
  return { reference, echoLater };
}

test("bestShift's peak finds a reading between samples (a run begun 0.4 sample later than placed), where it explains the echo far better than either whole reading", () => {
  const { reference, echoLater } = lowPassedRoom();
  const shadow = new ShadowEcho();
  shadow.load(IR);
  const found = shadow.bestShift(echoLater(0.4), reference, 9000, -800, 800);
  assert.equal(found.shift, 0, 'the nearest whole reading');
  assert.ok(Math.abs(found.peak - -0.4) <= 1 / 32, `peak ${found.peak}`);
  assert.ok(found.peakExplained > 0.99, `at the peak ${found.peakExplained}`);
  assert.ok(found.peakBroadband > 0.99, `broadband at the peak ${found.peakBroadband}`);
  assert.ok(1 - found.explained > 10 * (1 - found.peakExplained), `the whole reading leaves ${1 - found.explained}, the peak ${1 - found.peakExplained}`);
  // On a whole sample the peak is that sample.
  const whole = shadow.bestShift(echoLater(3), reference, 9000, -800, 800);
  assert.equal(whole.shift, -3);
  assert.equal(whole.peak, -3);
});

test('searched from a reading between samples (the filter reads a run found half a sample off), the echo 150 ms later is found a whole number of samples from that reading, and explained as fully there', () => {
  // Searched from the whole reading instead, the move found was half a sample off the echo, and
  // the filter moved there cancelled 8 dB where it had cancelled 13 (an underrun in an answer begun half a sample late).
  const { reference, echoLater } = lowPassedRoom();
  const shadow = new ShadowEcho();
  shadow.load(IR);
  const mic = echoLater(2400.5);
  const found = shadow.bestShift(mic, reference, 8999.5, -8000, 1600);
  assert.equal(found.shift, -2400);
  assert.ok(found.explained > 0.99, `explained ${found.explained}`);
  assert.ok(Math.abs(found.explained - shadow.explained(mic, reference, 8999.5 - 2400)) < 1e-6, 'FFT against the direct sum, between samples');
  const fromWhole = shadow.bestShift(mic, reference, 9000, -8000, 1600);
  assert.ok(1 - fromWhole.explained > 10 * (1 - found.explained), `from the whole reading the best leaves ${1 - fromWhole.explained}, from the reading between samples ${1 - found.explained}`);
});

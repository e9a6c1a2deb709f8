// Pre-emphasised frame energies (frame-energy.ts: TiltedEnergies), the filter's alignment evidence
// where a 10 ms frame's broadband energies mislead: a user's voice and the echo whose fundamentals
// meet out of phase in the frame's one or two cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TiltedEnergies, echoEstimateEnergy, gateEnergy, meanSquare } from '../../server/audio/echo/frame-energy.js';

const FRAME = 160;
const RATE = 16000;

function tone(hz: number, amplitude: number, phase: number, from: number): Float64Array {
  return Float64Array.from({ length: FRAME }, (_, k) => amplitude * Math.sin((2 * Math.PI * hz * (from + k)) / RATE + phase));
}

function int16(...parts: Float64Array[]): Int16Array {
  return Int16Array.from({ length: FRAME }, (_, k) => Math.round(parts.reduce((sum, p) => sum + p[k]!, 0)));
}

test('an aligned filter whose echo meets the user\'s voice out of phase at the fundamental: output over the microphone broadband, under it pre-emphasised', () => {
  // The echo: a 140 Hz fundamental and a 1.8 kHz formant; the user: the same fundamental half a cycle off, and a 2.5 kHz formant.
  const echoLow = tone(140, 8000, 0, 0), echoHigh = tone(1800, 2000, 0, 0);
  const userLow = tone(140, 8000, Math.PI * 0.95, 0), userHigh = tone(2500, 2000, 0, 0);
  const mic = int16(echoLow, echoHigh, userLow, userHigh);
  // Aligned: the filter takes the echo out exactly, and leaves the user.
  const out = int16(userLow, userHigh);
  assert.ok(meanSquare(out) > meanSquare(mic) * 1.1, `broadband: output ${meanSquare(out).toFixed(0)}, microphone ${meanSquare(mic).toFixed(0)}`);
  assert.ok(echoEstimateEnergy(mic, out) > meanSquare(mic) * 0.2);
  const tilted = new TiltedEnergies();
  tilted.measure(mic, out); // the first frame has no sample before it
  const nextMic = int16(tone(140, 8000, 0, FRAME), tone(1800, 2000, 0, FRAME), tone(140, 8000, Math.PI * 0.95, FRAME), tone(2500, 2000, 0, FRAME));
  const nextOut = int16(tone(140, 8000, Math.PI * 0.95, FRAME), tone(2500, 2000, 0, FRAME));
  tilted.measure(nextMic, nextOut);
  assert.ok(tilted.outputEnergy < tilted.micEnergy * 0.9, `pre-emphasised: output ${tilted.outputEnergy.toFixed(0)}, microphone ${tilted.micEnergy.toFixed(0)}`);
  assert.ok(tilted.estimateEnergy > tilted.micEnergy * 0.2);
});

test('frames measured one after another are pre-emphasised as one signal (the sample before each frame carried over)', () => {
  const signal = Int16Array.from({ length: FRAME * 3 }, (_, n) => Math.round(6000 * Math.sin(n * 0.3) + 3000 * Math.sin(n * 1.7)));
  const silence = new Int16Array(FRAME);
  const tilted = new TiltedEnergies();
  const energies: number[] = [];
  for (let f = 0; f < 3; f++) energies.push(tilted.measure(signal.subarray(f * FRAME, (f + 1) * FRAME), silence).micEnergy);
  for (let f = 0; f < 3; f++) {
    let sum = 0;
    for (let n = f * FRAME; n < (f + 1) * FRAME; n++) {
      const e = signal[n]! - 0.97 * (n > 0 ? signal[n - 1]! : 0);
      sum += e * e;
    }
    assert.ok(Math.abs(energies[f]! - sum / FRAME) < 1e-6 * energies[f]!, `frame ${f}: ${energies[f]} vs ${sum / FRAME}`);
  }
  // The output silent: it is the microphone all along, estimate included.
  assert.equal(tilted.outputEnergy, 0);
  assert.ok(Math.abs(tilted.estimateEnergy - tilted.micEnergy) < 1e-6 * tilted.micEnergy);
});

test('through a compensated drift the gate judges an output frame\'s voice band: a fricative\'s 4-8 kHz down 11 dB or more, a voice\'s fundamental and first formant within 1 dB', () => {
  const dB = (ratio: number) => 10 * Math.log10(ratio);
  for (const hz of [4000, 5000, 6000, 7000]) {
    const frame = int16(tone(hz, 8000, 0.3, 0));
    assert.ok(dB(gateEnergy(frame, meanSquare(frame), true) / meanSquare(frame)) <= -11, `${hz} Hz`);
    assert.equal(gateEnergy(frame, meanSquare(frame), false), meanSquare(frame), 'on one clock: the energy as it is');
  }
  for (const hz of [150, 500, 900]) {
    const frame = int16(tone(hz, 8000, 0.3, 0));
    assert.ok(dB(gateEnergy(frame, meanSquare(frame), true) / meanSquare(frame)) >= -1, `${hz} Hz`);
  }
  const frame = int16(tone(500, 8000, 0, 0));
  assert.equal(gateEnergy(frame, 10, true), 10, 'never over the energy given (the suppressed output\'s)');
});

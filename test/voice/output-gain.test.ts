import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputGain, RAMP_MS, dbToGain } from '../../server/voice/output-gain.js';
import { OutputAudioEncoder, decodeOutputAudio, type OutputAudioFormat } from '../../server/voice/output-format.js';

/** 100 ms of a 440 Hz tone at 0.5, encoded in `format` (as the TTS path encodes it). */
function toneFrame(format: OutputAudioFormat): Uint8Array {
  const encoder = new OutputAudioEncoder(format, 24000);
  const samples = Float32Array.from({ length: 2400 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 24000));
  return new Uint8Array(Buffer.concat([encoder.encode(samples), encoder.flush()]));
}

const peak = (x: Float32Array, from = 0, to = x.length) => x.subarray(from, to).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

test('unity gain passes frames through untouched: the same bytes, nothing decoded', () => {
  const gain = new OutputGain('audio/pcm');
  const frame = toneFrame('audio/pcm');
  const out = gain.apply(frame);
  assert.equal(out.bytes, frame);
  assert.equal(out.samples, null);
});

for (const format of ['audio/pcm', 'audio/pcmu', 'audio/pcma'] as const) {
  test(`${format}: a duck lowers the next frame after a ${RAMP_MS} ms ramp (no step), and resuming ramps back up`, () => {
    const gain = new OutputGain(format);
    const frame = toneFrame(format);
    const original = decodeOutputAudio(format, frame);
    const rate = format === 'audio/pcm' ? 24000 : 8000;
    const ramp = (rate * RAMP_MS) / 1000;
    gain.set(dbToGain(-20));
    const ducked = gain.apply(frame);
    const heard = decodeOutputAudio(format, ducked.bytes);
    assert.equal(heard.length, original.length, 'same duration');
    assert.ok(ducked.samples !== null);
    // After the ramp: the original at 0.1 (G.711 quantizes: within 10% of the peak).
    const after = peak(heard, ramp);
    assert.ok(Math.abs(after - 0.1 * peak(original, ramp)) < 0.01, `ducked peak ${after}`);
    // Within the ramp, no sample jumps further from the scaled tone than the ramp's own slope allows.
    for (let i = 1; i < ramp; i++) assert.ok(Math.abs(heard[i]!) <= Math.abs(original[i]!) + 0.01, `ramp sample ${i}`);
    assert.ok(peak(heard, 0, ramp / 2) > after, 'the first half of the ramp is still louder than the duck');
    // The reference gets the samples that were sent.
    assert.ok(peak(ducked.samples!, ramp) < 0.06);
    // Still ducked: the next frame is lowered from its first sample.
    const again = decodeOutputAudio(format, gain.apply(frame).bytes);
    assert.ok(peak(again, 0, ramp) < 0.06, 'a held duck has no ramp');
    gain.set(1);
    const back = decodeOutputAudio(format, gain.apply(frame).bytes);
    assert.ok(peak(back, 0, ramp / 2) < 0.3, 'it ramps up');
    assert.ok(Math.abs(peak(back, ramp) - peak(original, ramp)) < 0.01, 'full level after the ramp');
    // Back at unity: untouched again.
    assert.equal(gain.apply(frame).bytes, frame);
  });
}

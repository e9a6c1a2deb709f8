import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OUTPUT_AUDIO_FORMATS,
  OutputAudioEncoder,
  decodeOutputAudio,
  encodedDurationMs,
  outputSampleRate,
  type OutputAudioFormat,
} from '../../server/voice/output-format.js';

const TTS_RATE = 22050; // espeak-ng

function tone(hz: number, amplitude: number, rate: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** Encodes in uneven pieces as the TTS delivers them, then flushes. */
function encodeStreamed(format: OutputAudioFormat, input: Float32Array): Uint8Array {
  const encoder = new OutputAudioEncoder(format, TTS_RATE);
  const parts: Uint8Array[] = [];
  for (let at = 0, k = 0; at < input.length; k++) {
    const size = [2206, 517, 4410, 1][k % 4];
    parts.push(encoder.encode(input.subarray(at, at + size)));
    at += size;
  }
  parts.push(encoder.flush());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Least-squares fit of a sinusoid at `hz` over the middle of `x`: amplitude and residual RMS. */
function fitTone(x: Float32Array, hz: number, rate: number): { amplitude: number; residualRms: number } {
  const from = Math.floor(x.length * 0.1);
  const to = Math.floor(x.length * 0.9);
  let ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
  for (let i = from; i < to; i++) {
    const s = Math.sin((2 * Math.PI * hz * i) / rate);
    const c = Math.cos((2 * Math.PI * hz * i) / rate);
    ss += s * s; cc += c * c; sc += s * c; xs += x[i] * s; xc += x[i] * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let residual = 0;
  for (let i = from; i < to; i++) {
    const fit = a * Math.sin((2 * Math.PI * hz * i) / rate) + b * Math.cos((2 * Math.PI * hz * i) / rate);
    residual += (x[i] - fit) ** 2;
  }
  return { amplitude: Math.hypot(a, b), residualRms: Math.sqrt(residual / (to - from)) };
}

function rms(x: Float32Array): number {
  let sum = 0;
  for (let i = Math.floor(x.length * 0.1); i < x.length * 0.9; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (x.length * 0.8));
}

for (const format of OUTPUT_AUDIO_FORMATS) {
  test(`${format}: a 440 Hz tone keeps its frequency, level and duration`, () => {
    const input = tone(440, 0.5, TTS_RATE, 1);
    const bytes = encodeStreamed(format, input);
    const rate = outputSampleRate(format);
    assert.equal(bytes.length / (format === 'audio/pcm' ? 2 : 1), rate, 'exactly one second of samples');
    assert.equal(encodedDurationMs(format, bytes.length), 1000);
    const decoded = decodeOutputAudio(format, bytes);
    const fit = fitTone(decoded, 440, rate);
    assert.ok(Math.abs(20 * Math.log10(fit.amplitude / 0.5)) < 0.2, `level off by more than 0.2 dB: ${fit.amplitude}`);
    const snrDb = 20 * Math.log10(fit.amplitude / Math.SQRT2 / fit.residualRms);
    // PCM16 is limited by the resampler's 60 dB stop band; G.711 by its 8-bit companding (~38 dB).
    assert.ok(snrDb > (format === 'audio/pcm' ? 55 : 30), `SNR ${snrDb.toFixed(1)} dB`);
    // The same tone 20% off in frequency explains almost nothing: the frequency is really 440 Hz.
    assert.ok(fitTone(decoded, 528, rate).amplitude < 0.05);
  });
}

for (const format of ['audio/pcmu', 'audio/pcma'] as const) {
  test(`${format}: content above 4 kHz is filtered out, not aliased into the telephone band`, () => {
    const decoded = decodeOutputAudio(format, encodeStreamed(format, tone(5000, 0.5, TTS_RATE, 1)));
    assert.ok(rms(decoded) < 0.5 * 0.02, `5 kHz leaked at rms ${rms(decoded)}`); // below -34 dB
    assert.ok(fitTone(decoded, 3000, 8000).amplitude < 0.01, 'no alias at 8000 - 5000 Hz');
  });
}

test('audio/pcm bytes are little-endian int16', () => {
  const encoder = new OutputAudioEncoder('audio/pcm', 24000); // same rate: no resampling
  const bytes = new Uint8Array([...encoder.encode(new Float32Array([0.5, -0.25, 1.5])), ...encoder.flush()]);
  assert.deepEqual([...bytes], [0x00, 0x40, 0x00, 0xe0, 0xff, 0x7f]); // 16384, -8192, clipped 32767
});

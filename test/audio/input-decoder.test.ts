import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputAudioDecoder, InputAudioError } from '../../server/audio/input-decoder.js';
import { encodeALaw, encodeMuLaw } from '../../server/audio/g711.js';
import { resample } from '../../server/audio/resample.js';

function tone(rate: number, seconds: number, hz: number, amplitude: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

function toPcm16(samples: Float32Array): Int16Array {
  return Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
}

function bytesOf(pcm: Int16Array): Uint8Array {
  const bytes = new Uint8Array(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) {
    bytes[2 * i] = pcm[i] & 0xff;
    bytes[2 * i + 1] = (pcm[i] >> 8) & 0xff;
  }
  return bytes;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** SNR of `y` against `reference` over the overlap, skipping the edges. */
function snrDb(y: Float32Array, reference: Float32Array, edge: number): number {
  let signal = 0;
  let error = 0;
  const n = Math.min(y.length, reference.length);
  for (let i = edge; i < n - edge; i++) {
    signal += reference[i] ** 2;
    error += (y[i] - reference[i]) ** 2;
  }
  return 10 * Math.log10(signal / error);
}

test('PCM16 little-endian at 16 kHz decodes to floats unchanged', () => {
  const decoder = new InputAudioDecoder({ type: 'audio/pcm', rate: 16000 });
  const out = decoder.decode(bytesOf(Int16Array.from([0, 1, -1, 32767, -32768, 16384])));
  assert.deepEqual(Array.from(out), [0, 1 / 32768, -1 / 32768, 32767 / 32768, -1, 0.5]);
});

test('decoded arrays are the caller\'s: the next call does not overwrite them', () => {
  for (const rate of [16000, 24000] as const) {
    const decoder = new InputAudioDecoder({ type: 'audio/pcm', rate });
    const first = decoder.decode(bytesOf(toPcm16(tone(rate, 0.1, 440, 0.5))));
    const copy = Float32Array.from(first);
    decoder.decode(bytesOf(new Int16Array(2400)));
    assert.deepEqual(first, copy);
  }
});

test('PCM16 24 kHz: split across messages equals the resampled whole', () => {
  const pcm = toPcm16(tone(24000, 0.5, 1000, 0.5));
  const bytes = bytesOf(pcm);
  const expected = resample(Float32Array.from(pcm, (v) => v / 32768), 24000, 16000);
  const decoder = new InputAudioDecoder({ type: 'audio/pcm', rate: 24000 });
  const parts: Float32Array[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = [2, 960, 14, 4800][i % 4];
    parts.push(decoder.decode(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  parts.push(decoder.flush());
  assert.deepEqual(concat(parts), expected);
  assert.equal(decoder.inputSeconds, 0.5);
});

test('an odd PCM16 byte count is an invalid_audio error and consumes nothing', () => {
  const decoder = new InputAudioDecoder({ type: 'audio/pcm', rate: 24000 });
  assert.throws(
    () => decoder.decode(new Uint8Array(3)),
    (error: unknown) => error instanceof InputAudioError && error.code === 'invalid_audio',
  );
  assert.equal(decoder.inputSeconds, 0);
  assert.equal(decoder.decode(new Uint8Array(480)).length > 0, true);
});

for (const [type, encode] of [
  ['audio/pcmu', encodeMuLaw],
  ['audio/pcma', encodeALaw],
] as const) {
  test(`${type} 8 kHz decodes and upsamples to 16 kHz with G.711 fidelity`, () => {
    const seconds = 0.5;
    const bytes = encode(toPcm16(tone(8000, seconds, 700, 0.6)));
    const decoder = new InputAudioDecoder({ type });
    const out = concat([decoder.decode(bytes.subarray(0, 1001)), decoder.decode(bytes.subarray(1001)), decoder.flush()]);
    assert.equal(out.length, 16000 * seconds);
    // 8-bit log companding gives ~38 dB SNR on a loud tone; the resampler must not cost much more.
    const snr = snrDb(out, tone(16000, seconds, 700, 0.6), 200);
    assert.ok(snr > 30, `SNR ${snr.toFixed(1)} dB`);
    assert.equal(decoder.inputSeconds, seconds);
  });
}

test('a format change returns the old stream\'s tail and keeps counting seconds', () => {
  const decoder = new InputAudioDecoder({ type: 'audio/pcm', rate: 24000 });
  const head = decoder.decode(bytesOf(new Int16Array(2400).fill(1000)));
  const tail = decoder.setFormat({ type: 'audio/pcmu' });
  assert.equal(head.length + tail.length, 1600);
  decoder.decode(new Uint8Array(800).fill(0xff));
  assert.ok(Math.abs(decoder.inputSeconds - 0.2) < 1e-12);
  assert.deepEqual(decoder.format, { type: 'audio/pcmu' });
  assert.equal(decoder.setFormat({ type: 'audio/pcmu' }).length, 0);
});

test('unsupported formats are rejected', () => {
  assert.throws(() => new InputAudioDecoder({ type: 'audio/pcm', rate: 44100 as 24000 }), InputAudioError);
  assert.throws(() => new InputAudioDecoder({ type: 'audio/opus' } as never), InputAudioError);
});

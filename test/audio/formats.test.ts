import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { AUDIO_FORMATS, findAudioFormat, findBetaAudioFormat } from '../../server/audio/formats.js';
import { AudioFormat, BetaAudioFormat } from '../../protocol/schema/session.js';

test('format registry: every row is a wire format the protocol schema accepts, and each beta name maps to one row', () => {
  for (const spec of AUDIO_FORMATS) {
    const wire = spec.type === 'audio/pcm' ? { type: spec.type, rate: spec.rate } : { type: spec.type };
    assert.ok(Value.Check(AudioFormat, wire), `${JSON.stringify(wire)} is in the protocol schema`);
    assert.equal(findAudioFormat(wire), spec);
  }
  for (const name of BetaAudioFormat.anyOf.map((literal) => literal.const as string)) {
    assert.ok(findBetaAudioFormat(name), `beta ${name} has a row`);
  }
  assert.equal(findAudioFormat({ type: 'audio/pcm' })?.rate, 24000, 'PCM without a rate is the Realtime default');
  assert.equal(findAudioFormat({ type: 'audio/pcm', rate: 44100 }), undefined);
});

test('format registry: encode then decode gives the samples back within the codec step', () => {
  const pcm = Int16Array.from({ length: 400 }, (_, i) => Math.round(Math.sin(i / 7) * 20000));
  for (const spec of AUDIO_FORMATS) {
    const bytes = spec.encode(pcm);
    assert.equal(bytes.length, pcm.length * spec.bytesPerSample);
    const out = new Float32Array(pcm.length);
    spec.decode(bytes, out);
    // PCM16 is exact; G.711 keeps about 3 % of the magnitude at these levels.
    const tolerance = spec.bytesPerSample === 2 ? 0 : 0.04;
    for (let i = 0; i < pcm.length; i++) assert.ok(Math.abs(out[i]! - pcm[i]! / 32768) <= tolerance * Math.abs(pcm[i]! / 32768) + (spec.bytesPerSample === 2 ? 1e-6 : 1e-3), `${spec.type}@${spec.rate} sample ${i}`);
  }
});

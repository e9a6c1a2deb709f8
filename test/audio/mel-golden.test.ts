// Every preset against golden features from independent reference implementations
// (torchaudio kaldi.fbank, Whisper's torch log_mel_spectrogram, Moonshine's log_mel.cc / MelStreamer
// re-done in numpy). See scripts/fixtures/make_mel_fixtures.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  StreamingMelEncoder,
  TinyVadInput,
  computeMel,
  loadCmvnStats,
  melPreset,
  spellingModelInput,
  type MelPresetName,
} from '../../server/audio/mel/index.js';
import { fixturePath, loadManifest, loadReference, loadSignal, maxAbsDiff, type FixtureCase } from '../fixtures/mel/load.js';

const TOLERANCE = 1e-3; // log domain
const manifest = loadManifest();

function ours(c: FixtureCase): Float32Array {
  const signal = loadSignal(manifest, c.signal);
  const preset = c.preset as MelPresetName;
  switch (c.kind) {
    case 'frames': {
      const options = c.cmvn
        ? melPreset(preset, { normalization: 'global-cmvn', cmvn: loadCmvnStats(fixturePath(c.cmvn)) })
        : melPreset(preset);
      const features = computeMel(signal, options);
      assert.equal(features.frames, c.rows, `${c.id}: frame count`);
      assert.equal(features.bins, c.cols, `${c.id}: bins`);
      assert.equal(features.preset, preset);
      return features.data;
    }
    case 'spelling-input':
      return spellingModelInput(signal.subarray(0, c.clipSamples), melPreset(preset), c.cols);
    case 'raw-frames': {
      const encoder = new StreamingMelEncoder(melPreset(preset));
      encoder.push(signal);
      assert.equal(encoder.frameCount, c.rows, `${c.id}: frame count`);
      return encoder.readRaw(0, c.rows).data;
    }
    case 'vad-input': {
      const vad = new TinyVadInput(melPreset(preset), c.cols);
      vad.push(signal.subarray(0, c.endFrame! * 512));
      assert.equal(vad.encoder.frameCount, c.endFrame);
      return vad.modelInput().slice();
    }
  }
}

test('the fixture set covers every preset and stays small', () => {
  const presets = new Set(manifest.cases.map((c) => c.preset));
  for (const name of ['kaldi', 'whisper', 'whisper-128', 'moonshine-micro', 'moonshine-vad']) assert.ok(presets.has(name), name);
  assert.ok(manifest.cases.some((c) => c.cmvn), 'a global CMVN case');
});

for (const c of manifest.cases) {
  test(`golden ${c.id} (${c.kind}, ${c.rows}x${c.cols}) within ${TOLERANCE}`, (t) => {
    const reference = loadReference(c);
    const actual = ours(c);
    const err = maxAbsDiff(actual, reference);
    t.diagnostic(`max abs error ${err.toExponential(2)}`);
    assert.ok(err <= TOLERANCE, `${c.id}: max abs error ${err} > ${TOLERANCE}`);
  });
}

// End to end: our moonshine-micro front-end feeding the real SpellingCNN on 220 real human clips.
// The CNNs contain no front-end, so a wrong Mel (scale, window, padding, log, normalisation, layout)
// shows up as lost accuracy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { melPreset, spellingModelInput } from '../../server/audio/mel/index.js';
import { alphanumericDir, loadAlphanumericClips, moonshineDir, sharedAssetsPresent } from '../fixtures/mel/load.js';

interface SpellingMeta {
  classes: string[];
  n_mels: number;
  target_frames: number;
  hop_length: number;
  sample_rate: number;
  input_name: string;
  output_name: string;
}

async function topOneAccuracy(modelFile: string, metaFile: string): Promise<{ correct: number; total: number; misses: string[] }> {
  const meta = JSON.parse(readFileSync(path.join(moonshineDir, metaFile), 'utf8')) as SpellingMeta;
  const options = melPreset('moonshine-micro');
  // The preset must be what the model's metadata says it expects.
  assert.deepEqual([options.nMels, options.hopLength, options.sampleRate], [meta.n_mels, meta.hop_length, meta.sample_rate]);
  const session = await ort.InferenceSession.create(path.join(moonshineDir, modelFile));
  const clips = loadAlphanumericClips();
  const planeSize = meta.n_mels * meta.target_frames;
  const batch = new Float32Array(clips.length * planeSize);
  clips.forEach((clip, i) => batch.set(spellingModelInput(clip.samples, options, meta.target_frames), i * planeSize));
  const input = new ort.Tensor('float32', batch, [clips.length, 1, meta.n_mels, meta.target_frames]);
  const output = (await session.run({ [meta.input_name]: input }))[meta.output_name];
  const logits = output.data as Float32Array;
  const classes = meta.classes.length;
  let correct = 0;
  const misses: string[] = [];
  clips.forEach((clip, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (meta.classes[best] === clip.label) correct++;
    else misses.push(`${clip.file}->${meta.classes[best]}`);
  });
  return { correct, total: clips.length, misses };
}

const letterDigitModel = path.join(moonshineDir, 'spelling_cnn_letters_digits_mel.shrunk.onnx');
const commandModel = path.join(moonshineDir, 'spelling_cnn_mel.shrunk.onnx');

test('SpellingCNN (letters + digits) on the 220 alphanumeric clips: top-1 >= 90%', async (t) => {
  if (!sharedAssetsPresent(letterDigitModel, alphanumericDir)) {
    t.skip(`../shared absent (${letterDigitModel}, ${alphanumericDir})`);
    return;
  }
  const { correct, total, misses } = await topOneAccuracy('spelling_cnn_letters_digits_mel.shrunk.onnx', 'spelling_cnn_letters_digits_meta.json');
  t.diagnostic(`top-1 ${correct}/${total} = ${((100 * correct) / total).toFixed(2)}%; misses: ${misses.join(' ')}`);
  assert.equal(total, 220);
  assert.ok(correct / total >= 0.9, `top-1 ${correct}/${total}`);
});

test('SpellingCNN (51 classes) reproduces its authors\' 90.91% on the same 220 clips', async (t) => {
  if (!sharedAssetsPresent(commandModel, alphanumericDir)) {
    t.skip(`../shared absent (${commandModel}, ${alphanumericDir})`);
    return;
  }
  // moonshine micro/models/README.md: held-out `captured` (220 real clips) 90.91% top-1 (= 200/220).
  const { correct, total } = await topOneAccuracy('spelling_cnn_mel.shrunk.onnx', 'spelling_cnn_meta.json');
  t.diagnostic(`top-1 ${correct}/${total} = ${((100 * correct) / total).toFixed(2)}%`);
  assert.ok(correct >= 198, `top-1 ${correct}/${total}, authors report 200/220`);
});

// End to end: the moonshine-vad front-end (TinyVadInput) feeding the real TinyVadCNN, decided with
// its authors' segmenter rule (micro/vad/src/vad_segmenter.cc): the mean speech probability of the
// last 16 frames (ring starting at 0) above 0.5.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { TinyVadInput, melPreset } from '../../server/audio/mel/index.js';
import { alphanumericDir, loadAlphanumericClips, moonshineDir, sharedAssetsPresent } from '../fixtures/mel/load.js';

const modelFile = path.join(moonshineDir, 'tinyvad_cnn_speech_mel.onnx');
const HOP = 512;
const WINDOW = 16;
const SMOOTH = 16;

/** Highest smoothed speech probability over the stream. */
async function peakSmoothedProbability(session: ort.InferenceSession, audio: Float32Array): Promise<number> {
  const vad = new TinyVadInput(melPreset('moonshine-vad'), WINDOW);
  const windows: Float32Array[] = [];
  for (let pos = 0; pos + HOP <= audio.length; pos += HOP) {
    vad.push(audio.subarray(pos, pos + HOP));
    windows.push(vad.modelInput().slice());
  }
  const batch = new Float32Array(windows.length * 32 * WINDOW);
  windows.forEach((w, i) => batch.set(w, i * w.length));
  const out = await session.run({ log_mel: new ort.Tensor('float32', batch, [windows.length, 1, 32, WINDOW]) });
  const logits = out.speech_logit.data as Float32Array;
  const ring = new Float64Array(SMOOTH);
  let peak = 0;
  for (let i = 0; i < logits.length; i++) {
    ring[i % SMOOTH] = 1 / (1 + Math.exp(-logits[i]));
    peak = Math.max(peak, ring.reduce((a, b) => a + b) / SMOOTH);
  }
  return peak;
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function synth(seconds: number, sample: (i: number) => number): Float32Array {
  const out = new Float32Array(seconds * 16000);
  for (let i = 0; i < out.length; i++) out[i] = sample(i);
  return out;
}

function nonSpeech(): [string, Float32Array][] {
  const signals: [string, Float32Array][] = [['digital silence', synth(3, () => 0)]];
  for (const amplitude of [0.003, 0.03, 0.3]) {
    const rnd = seeded(Math.round(amplitude * 1e4));
    signals.push([`white noise ${amplitude}`, synth(3, () => amplitude * (2 * rnd() - 1))]);
  }
  const rnd = seeded(99);
  let brown = 0;
  signals.push(['brown noise', synth(3, () => (brown = 0.98 * brown + 0.1 * (2 * rnd() - 1)) * 0.3)]);
  signals.push(['50 Hz hum', synth(3, (i) => 0.2 * Math.sin((2 * Math.PI * 50 * i) / 16000))]);
  signals.push(['1 kHz tone', synth(3, (i) => 0.3 * Math.sin((2 * Math.PI * 1000 * i) / 16000))]);
  return signals;
}

test('TinyVadCNN hears speech in the alphanumeric clips (>= 95% of 220)', async (t) => {
  if (!sharedAssetsPresent(modelFile, alphanumericDir)) {
    t.skip(`../shared absent (${modelFile}, ${alphanumericDir})`);
    return;
  }
  const session = await ort.InferenceSession.create(modelFile);
  const clips = loadAlphanumericClips();
  const missed: string[] = [];
  for (const clip of clips) {
    const peak = await peakSmoothedProbability(session, clip.samples);
    if (!(peak > 0.5)) missed.push(`${clip.file}(${peak.toFixed(2)})`);
  }
  const detected = clips.length - missed.length;
  t.diagnostic(`speech detected in ${detected}/${clips.length}; missed: ${missed.join(' ') || 'none'}`);
  assert.equal(clips.length, 220);
  assert.ok(detected / clips.length >= 0.95, `${detected}/${clips.length}`);
});

test('TinyVadCNN stays quiet on silence and synthetic noise', async (t) => {
  if (!sharedAssetsPresent(modelFile)) {
    t.skip(`../shared absent (${modelFile})`);
    return;
  }
  const session = await ort.InferenceSession.create(modelFile);
  for (const [name, audio] of nonSpeech()) {
    const peak = await peakSmoothedProbability(session, audio);
    t.diagnostic(`${name}: peak smoothed speech probability ${peak.toFixed(3)}`);
    assert.ok(peak <= 0.5, `${name}: ${peak}`);
  }
});

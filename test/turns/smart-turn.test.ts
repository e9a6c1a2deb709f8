// The audio end-of-turn model in the Smart Turn v3 layout: the fixture made by
// scripts/fixtures/make_smart_turn_fixture.ts loads with the real loading code and runs on the
// features the audio front-end computed for a speech segment (nothing recomputed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AudioFrontEnd } from '../../server/audio/front-end.js';
import { melPreset } from '../../server/audio/mel/index.js';
import type { TurnEvent } from '../../server/audio/types.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { SileroModel, sileroModelPath } from '../../server/audio/vad/silero.js';
import { SmartTurnModel, SMART_TURN_FRAMES, smartTurnInput } from '../../models/embedded/turn/smart-turn.js';
import { WorkerSmartTurnModel } from '../../models/embedded/turn/worker-smart-turn.js';
import { isEmbeddedModelError } from '../../models/embedded/errors.js';
import type { AudioSegment, MelFeatures } from '../../models/types.js';
import { readWav } from '../support/wav.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/models/tiny-smart-turn/', import.meta.url));
const expected = JSON.parse(readFileSync(`${FIXTURE}expected.json`, 'utf8')) as { input: string; output: string; weights: number[]; bias: number };

let silero: SileroModel;
let model: SmartTurnModel;
before(async () => {
  silero = await SileroModel.load({ version: 'v5' });
  model = await SmartTurnModel.load({ path: `${FIXTURE}model.onnx` });
});
after(async () => {
  await silero.release();
  await model.close();
});

/** The speech segments the front-end cuts from a WAV (whisper preset, as sessions use by default). */
async function segmentsOf(audio: Float32Array): Promise<AudioSegment[]> {
  const events: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(silero),
    mel: melPreset('whisper'),
    turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    tuning: { negativeThresholdOffset: 0.15, minSpeechMs: 250, maxSegmentMs: 30000, maxVadBacklogMs: 600000 },
    onEvent: (e) => events.push(e),
  });
  for (let i = 0; i < audio.length; i += 320) {
    frontEnd.push(audio.subarray(i, i + 320));
    if (i % 16000 === 0) await frontEnd.whenIdle();
  }
  await frontEnd.whenIdle();
  frontEnd.close();
  return events.flatMap((e) => (e.type === 'segment' ? [e.segment] : []));
}

/** The fixture's head computed here in double precision: sigmoid(mean over frames . W + b). */
function reference(input: Float32Array): number {
  let z = expected.bias;
  for (let b = 0; b < 80; b++) {
    let sum = 0;
    for (let f = 0; f < SMART_TURN_FRAMES; f++) sum += input[b * SMART_TURN_FRAMES + f]!;
    z += (sum / SMART_TURN_FRAMES) * expected.weights[b]!;
  }
  return 1 / (1 + Math.exp(-z));
}

test('the Smart-Turn-layout fixture loads and runs on the front-end features of a speech segment', async () => {
  const segments = await segmentsOf(readWav(new URL('../fixtures/speech/pause-within-turn.wav', import.meta.url)));
  assert.ok(segments.length >= 1, 'the front-end cut at least one segment');
  for (const segment of segments) {
    const mel = segment.mel!;
    assert.equal(mel.preset, 'whisper');
    assert.equal(mel.bins, 80);
    assert.ok(model.accepts(mel));
    const { probability } = await model.predict(mel);
    assert.ok(probability > 0 && probability < 1);
    assert.ok(Math.abs(probability - reference(smartTurnInput(mel))) < 1e-5, `${probability} vs the reference`);
  }
});

test('the input is the last 8 s, padded at the front with the value of silence', () => {
  const frames = 120;
  const data = new Float32Array(frames * 80);
  for (let f = 0; f < frames; f++) for (let b = 0; b < 80; b++) data[f * 80 + b] = f === frames - 1 ? 1 : 0.5;
  const input = smartTurnInput({ preset: 'whisper', frames, bins: 80, data });
  const pad = Math.max(1 - 2, -1.5);
  assert.equal(input[0], pad, 'front padding');
  assert.equal(input[SMART_TURN_FRAMES - frames - 1], pad);
  assert.equal(input[SMART_TURN_FRAMES - frames], 0.5, 'the speech ends at the last frame');
  assert.equal(input[SMART_TURN_FRAMES - 1], 1);
  // Longer speech: only its last 800 frames count.
  const long: MelFeatures = { preset: 'whisper', frames: 1000, bins: 80, data: new Float32Array(1000 * 80).map((_, i) => Math.floor(i / 80)) };
  const cut = smartTurnInput(long);
  assert.equal(cut[0], 200);
  assert.equal(cut[SMART_TURN_FRAMES - 1], 999);
});

test('other features are refused, and a model in another layout does not load', async () => {
  assert.equal(model.accepts({ preset: 'kaldi', frames: 10, bins: 80, data: new Float32Array(800) }), false);
  await assert.rejects(SmartTurnModel.load({ path: sileroModelPath('v5') }), (err: unknown) => isEmbeddedModelError(err) && err.code === 'model_layout_unsupported');
});

/** Features of `frames` frames whose values depend on `seed` (different inputs, different probabilities). */
function features(frames: number, seed: number): MelFeatures {
  return { preset: 'whisper', frames, bins: 80, data: new Float32Array(frames * 80).map((_, i) => Math.sin(seed * 0.37 + i * 0.011) * (1 + seed / 4)) };
}

test('a model input of the wrong size is refused', async () => {
  await assert.rejects(model.predictInput(new Float32Array(10)), RangeError);
});

test('the model in its inference worker answers what it answers on this thread, for concurrent sessions too', async () => {
  const inWorker = await WorkerSmartTurnModel.load({ path: `${FIXTURE}model.onnx` });
  try {
    assert.equal(inWorker.id, model.id);
    const mels = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => features(200 + seed * 90, seed));
    const here = await Promise.all(mels.map(async (mel) => (await model.predict(mel)).probability));
    const there = await Promise.all(mels.map((mel) => inWorker.predict(mel)));
    assert.equal(new Set(here.map((p) => p.toFixed(6))).size, mels.length, 'the inputs differ');
    there.forEach((p, i) => assert.ok(Math.abs(p.probability - here[i]!) < 1e-6, `call ${i}: ${p.probability} in the worker vs ${here[i]} here`));
    // Only the model's input moves to the worker: the session keeps its features.
    assert.equal(mels[0]!.data.length, mels[0]!.frames * 80);
    assert.equal(inWorker.accepts(features(10, 1)), true);
    await assert.rejects(inWorker.predict({ preset: 'kaldi', frames: 10, bins: 80, data: new Float32Array(800) }), RangeError);
  } finally {
    await inWorker.close();
  }
  await assert.rejects(inWorker.predict(features(100, 1)), /closed/, 'a closed model refuses, it does not hang');
});

test('a model the worker cannot load fails with the loading code, as on this thread', async () => {
  await assert.rejects(WorkerSmartTurnModel.load({ path: sileroModelPath('v5') }), (err: unknown) => isEmbeddedModelError(err) && err.code === 'model_layout_unsupported');
  await assert.rejects(WorkerSmartTurnModel.load({ path: `${FIXTURE}missing.onnx` }), (err: unknown) => isEmbeddedModelError(err) && err.code === 'model_not_found');
});

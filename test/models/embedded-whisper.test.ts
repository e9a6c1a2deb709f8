import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, WhisperFeatureExtractor } from '@huggingface/transformers';
import wav from 'node-wav';
import { WhisperRecognizer } from '../../models/embedded/asr/whisper.js';
import { melToWhisperInput, WHISPER_FRAMES } from '../../models/embedded/asr/whisper-features.js';
import type { AudioSegment, MelFeatures, TranscriptionEvent } from '../../models/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/models', import.meta.url));
const SHARED_TOKENIZER = fileURLToPath(new URL('../../../shared/models/whisper-tokenizer', import.meta.url));
const SHARED_AUDIO = fileURLToPath(new URL('../../../shared/audio/alphanumeric', import.meta.url));

/** The features the Python script used for its goldens: 0.8 sin(0.37 mel + 0.011 frame), as frames x bins. */
function goldenMel(): MelFeatures {
  const data = new Float32Array(WHISPER_FRAMES * 80);
  for (let f = 0; f < WHISPER_FRAMES; f++) for (let m = 0; m < 80; m++) data[f * 80 + m] = 0.8 * Math.sin(0.37 * m + 0.011 * f);
  return { preset: 'whisper', frames: WHISPER_FRAMES, bins: 80, data };
}

function segment(samples: Float32Array, mel?: MelFeatures): AudioSegment {
  return { samples, sampleRate: 16000, startMs: 0, endMs: (samples.length / 16) | 0, ...(mel ? { mel } : {}) };
}

async function transcribe(asr: WhisperRecognizer, seg: AudioSegment, signal?: AbortSignal): Promise<{ deltas: string[]; text: string }> {
  const deltas: string[] = [];
  let done: Extract<TranscriptionEvent, { type: 'done' }> | undefined;
  for await (const e of asr.transcribe({ segment: seg, ...(signal ? { signal } : {}) })) {
    if (e.type === 'delta') deltas.push(e.text);
    else {
      assert.equal(done, undefined, 'one done');
      done = e;
    }
  }
  assert.ok(done);
  return { deltas, text: done.text };
}

function expectedText(dir: string, tokenizerDir = dir): Promise<string> {
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { greedy_ids: number[] };
  return AutoTokenizer.from_pretrained(tokenizerDir, { local_files_only: true }).then((t) => t.decode(expected.greedy_ids, { skip_special_tokens: true }).trim());
}

function firstClip(): Float32Array | null {
  const dir = join(SHARED_AUDIO, 'seven');
  if (!existsSync(dir)) return null;
  const file = readdirSync(dir).filter((f) => f.endsWith('.wav'))[0]!;
  return wav.decode(readFileSync(join(dir, file))).channelData[0] as Float32Array;
}

function withTrailingSilence(x: Float32Array, seconds: number): Float32Array {
  const out = new Float32Array(x.length + 16000 * seconds);
  out.set(x);
  return out;
}

function tone(seconds: number): Float32Array {
  const x = new Float32Array(16000 * seconds);
  for (let i = 0; i < x.length; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * (200 + i / 40) * i) / 16000) * Math.exp(-((i / 16000 - seconds / 2) ** 2));
  return x;
}

test('the whisper-tiny.en loading path transcribes the fixture features like the torch golden', async () => {
  const dir = join(FIXTURES, 'tiny-whisper');
  const asr = await WhisperRecognizer.load({ dir, maxNewTokens: 20 });
  const { deltas, text } = await transcribe(asr, segment(new Float32Array(16000), goldenMel()));
  assert.equal(asr.featureSource.mel, 1, 'the front-end features were used, no second feature pass');
  assert.ok(text.length > 0);
  assert.equal(text, await expectedText(dir));
  assert.equal(deltas.join('').trim(), text);
  await asr.close();
});

test('the real Whisper tokenizer (read in place from ../shared) drives the 51865-token fixture', async (t) => {
  if (!existsSync(SHARED_TOKENIZER)) return t.skip('../shared/models/whisper-tokenizer absent');
  const fixture = join(FIXTURES, 'tiny-whisper-vocab51865');
  const dir = mkdtempSync(join(tmpdir(), 'duet-whisper-'));
  try {
    // Our weights and config, the real tokenizer/generation/preprocessor files as symlinks.
    symlinkSync(join(fixture, 'config.json'), join(dir, 'config.json'));
    symlinkSync(join(fixture, 'onnx'), join(dir, 'onnx'));
    for (const f of readdirSync(SHARED_TOKENIZER)) if (f !== 'config.json') symlinkSync(join(SHARED_TOKENIZER, f), join(dir, f));
    const asr = await WhisperRecognizer.load({ dir, maxNewTokens: 20 });
    const { text } = await transcribe(asr, segment(new Float32Array(16000), goldenMel()));
    assert.ok(text.length > 0);
    assert.equal(text, await expectedText(fixture, dir));
    await asr.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("our 'whisper' mel preset equals transformers.js' WhisperFeatureExtractor within 1e-3", async (t) => {
  let mel: typeof import('../../server/audio/mel/index.js');
  try {
    mel = await import('../../server/audio/mel/index.js');
  } catch {
    return t.skip('server/audio/mel not present in this tree');
  }
  // A segment as the VAD cuts it: speech, then the trailing silence that ended the turn. (On a
  // segment that stops mid-sound the last two frames differ: transformers.js pads to 30 s with
  // zeros before its STFT, a segment computed alone reflects at its end.)
  const samples = firstClip() ?? withTrailingSilence(tone(1), 0.3);
  const extractor = (await WhisperFeatureExtractor.from_pretrained(join(FIXTURES, 'tiny-whisper'), { local_files_only: true })) as WhisperFeatureExtractor;
  const reference = ((await extractor(samples)) as { input_features: { data: Float32Array; dims: number[] } }).input_features;
  assert.deepEqual(reference.dims, [1, 80, WHISPER_FRAMES]);
  // The front-end computes the segment only (no 30 s padding); the ASR pads the features.
  const ours = melToWhisperInput(mel.computeMel(samples, mel.melPreset('whisper')));
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - reference.data[i]!));
  assert.ok(maxDiff < 1e-3, `max difference ${maxDiff}`);
  // And the transcription is the same whichever way the features came.
  const asr = await WhisperRecognizer.load({ dir: join(FIXTURES, 'tiny-whisper'), maxNewTokens: 12 });
  const fromMel = await transcribe(asr, segment(samples, mel.computeMel(samples, mel.melPreset('whisper'))));
  const fromSamples = await transcribe(asr, segment(samples));
  assert.deepEqual(asr.featureSource, { mel: 1, samples: 1 });
  assert.equal(fromMel.text, fromSamples.text);
  await asr.close();
});

test('an aborted transcription ends with done and no deltas', async () => {
  const asr = await WhisperRecognizer.load({ dir: join(FIXTURES, 'tiny-whisper'), maxNewTokens: 20 });
  const { deltas, text } = await transcribe(asr, segment(tone(1)), AbortSignal.abort());
  assert.deepEqual(deltas, []);
  assert.equal(text, '');
  await asr.close();
});

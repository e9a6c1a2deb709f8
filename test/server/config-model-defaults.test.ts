import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../server/config/load.js';

test('the default configuration is the recommended CPU set, downloaded on first start', () => {
  const { models } = resolveConfig({});
  assert.deepEqual(models.chat, { kind: 'embedded', model: 'onnx-community/Qwen2.5-0.5B-Instruct', dtype: 'q8', maxNewTokens: 512 });
  assert.deepEqual(models.asr, { kind: 'embedded', model: 'onnx-community/whisper-tiny.en', dtype: 'q8' });
  assert.equal(models.download, true);
});

test('chat: null is the model-free start (no recognizer either unless one is named)', () => {
  const { models } = resolveConfig({ models: { chat: null } });
  assert.equal(models.chat, null);
  assert.equal(models.asr, null);
  const withAsr = resolveConfig({ models: { chat: null, asr: { kind: 'embedded', model: './whisper' } } }).models;
  assert.deepEqual(withAsr.asr, { kind: 'embedded', model: './whisper' });
});

test('a configured model role is taken as given: no field of the default leaks into it', () => {
  const endpoint = { baseUrl: 'http://engine:8000/v1', model: 'm' };
  const { models } = resolveConfig({ models: { chat: { kind: 'embedded', model: './mine' }, tts: { kind: 'remote', endpoint } } });
  assert.equal((models.chat as { dtype?: string }).dtype, undefined, 'no dtype from the default chat model');
  assert.equal(models.asr, null, 'a configuration naming its chat model names its recognizer');
  assert.equal(models.tts?.kind, 'remote', 'remote TTS validates (the espeak default no longer merges into it)');
});

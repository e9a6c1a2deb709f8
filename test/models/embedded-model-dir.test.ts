import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectModelDir, onnxFile } from '../../models/embedded/model-dir.js';
import { ChatEngine } from '../../models/embedded/chat/chat-engine.js';
import { isEmbeddedModelError } from '../../models/embedded/errors.js';
import { isHubId, resolveModelRef } from '../../models/hub/resolve.js';
import { selectFiles } from '../../models/hub/select-files.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/models', import.meta.url));

test('a dtype selects the ONNX file the way transformers.js names it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-dtype-'));
  try {
    mkdirSync(join(dir, 'onnx'));
    for (const f of ['model.onnx', 'model_quantized.onnx', 'model_q4.onnx', 'model_fp16.onnx']) writeFileSync(join(dir, 'onnx', f), '');
    assert.equal(onnxFile(dir, 'model'), join(dir, 'onnx', 'model.onnx'));
    assert.equal(onnxFile(dir, 'model', 'fp32'), join(dir, 'onnx', 'model.onnx'));
    assert.equal(onnxFile(dir, 'model', 'q8'), join(dir, 'onnx', 'model_quantized.onnx'));
    assert.equal(onnxFile(dir, 'model', 'q4'), join(dir, 'onnx', 'model_q4.onnx'));
    assert.throws(
      () => onnxFile(dir, 'model', 'int8'),
      (err: unknown) => isEmbeddedModelError(err) && err.code === 'model_layout_unsupported' && /present: .*model_quantized\.onnx/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fixture folders are recognised as the layouts they copy', async () => {
  assert.equal(inspectModelDir(join(FIXTURES, 'tiny-llm')).kind, 'causal-lm');
  assert.equal(inspectModelDir(join(FIXTURES, 'tiny-whisper')).kind, 'whisper');
  assert.equal(inspectModelDir(join(FIXTURES, 'tiny-vlm')).kind, 'vision-language');
  await assert.rejects(ChatEngine.load({ dir: join(FIXTURES, 'tiny-whisper'), maxNewTokens: 4 }), (err: unknown) => isEmbeddedModelError(err) && err.code === 'model_layout_unsupported');
  assert.throws(() => inspectModelDir(join(FIXTURES, 'nothing-here')), (err: unknown) => isEmbeddedModelError(err) && err.code === 'model_not_found');
});

test('a model reference is a local directory or a hub id under the cache directory', () => {
  assert.equal(isHubId('onnx-community/Qwen2.5-0.5B-Instruct'), true);
  assert.equal(isHubId('./models/x'), false);
  assert.equal(isHubId('a/../b'), false);
  const local = resolveModelRef('tiny-llm', 'cache', FIXTURES);
  assert.deepEqual(local, { dir: join(FIXTURES, 'tiny-llm'), source: 'local', exists: true });
  const hub = resolveModelRef('onnx-community/whisper-tiny.en', '.cache/models', '/srv/duet');
  assert.deepEqual(hub, { dir: '/srv/duet/.cache/models/onnx-community/whisper-tiny.en', source: 'hub-cache', hubId: 'onnx-community/whisper-tiny.en', exists: false });
  assert.equal(resolveModelRef('./onnx-community/whisper-tiny.en', '.cache', '/srv').source, 'local');
});

test('a pull takes the configs, tokenizer files and the ONNX files of one dtype only', () => {
  const listed = ['config.json', 'README.md', 'tokenizer.json', 'onnx/model.onnx', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data', 'onnx/encoder_model_q4.onnx', 'onnx/decoder_model_merged_q4.onnx', 'onnx/decoder_model_merged.onnx'].map((path) => ({ path, size: 1 }));
  assert.deepEqual(
    selectFiles(listed, 'q4').map((f) => f.path),
    ['config.json', 'tokenizer.json', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data', 'onnx/encoder_model_q4.onnx', 'onnx/decoder_model_merged_q4.onnx'],
  );
  assert.throws(() => selectFiles(listed, 'q3'), /unknown dtype 'q3'/);
});

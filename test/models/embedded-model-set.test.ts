import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createEmbeddedModelSet } from '../../models/embedded/model-set.js';
import { AbortSlots, slotSignal } from '../../models/embedded/worker/shared-abort.js';
import type { ModelsSection } from '../../models/config.js';
import type { GenerationEvent, ModelInstance } from '../../models/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/models', import.meta.url));
const log = { info: () => {}, error: () => {} } as never;

function models(chat: string | null, asr: string | null = null): ModelsSection {
  return {
    cacheDir: `${FIXTURES}/no-cache-here`,
    chat: chat ? { kind: 'embedded', model: chat, maxNewTokens: 24, threadsPerInstance: 1 } : null,
    asr: asr ? { kind: 'embedded', model: asr } : null,
    tts: null,
  };
}

async function run(instance: ModelInstance, text: string, signal = new AbortController().signal): Promise<{ text: string; events: GenerationEvent[] }> {
  const events: GenerationEvent[] = [];
  for await (const e of instance.generate({ messages: [{ role: 'user', content: [{ type: 'text', text }] }], temperature: 0, signal })) events.push(e);
  return { text: events.map((e) => (e.type === 'delta' ? e.text : '')).join(''), events };
}

test('with no model present the set loads, reports why per capability, and has no instances', async () => {
  const set = await createEmbeddedModelSet(models('./does-not-exist', 'onnx-community/whisper-tiny.en'), log, { cwd: FIXTURES });
  assert.equal(set.instances, null);
  assert.equal(set.asr, null);
  const status = set.status();
  assert.equal(status.generator.available, false);
  assert.match(status.generator.reason!, /does-not-exist.*does not exist/);
  assert.equal(status.asr.available, false);
  assert.match(status.asr.reason!, /npm run models:pull -- onnx-community\/whisper-tiny\.en/);
  assert.equal(status.tts.available, false);
  await set.close();
  const none = await createEmbeddedModelSet(models(null), log);
  assert.match(none.status().generator.reason!, /no chat model configured/);
});

test('in the inference worker: the same answers and decisions as on the calling thread', async () => {
  const config = models(`${FIXTURES}/tiny-llm`, `${FIXTURES}/tiny-whisper`);
  const worker = await createEmbeddedModelSet(config, log);
  const local = await createEmbeddedModelSet(config, log, { threading: 'main' });
  try {
    assert.ok(worker.instances && local.instances && worker.asr && local.asr);
    assert.equal(worker.status().generator.available, true);
    assert.equal(worker.vision, false);
    assert.ok(worker.chat!.sharedWeightsBytes > 0);
    const [a, b] = worker.instances;
    assert.equal(a.memoryBytes?.(), undefined, 'unknown before the first request');
    const remote = await run(a, 'Hello, how are you today?');
    const here = await run(local.instances[0], 'Hello, how are you today?');
    assert.equal(remote.text, here.text);
    assert.equal(remote.events.at(-1)!.type, 'done');
    assert.ok((a.memoryBytes?.() ?? 0) > 0);
    const request = { transcript: 'Can you hear me?', history: [] };
    const [d1, d2] = await Promise.all([b.classify(request), local.instances[1].classify(request)]);
    assert.ok(Math.abs(d1.probabilities.query - d2.probabilities.query) < 1e-6);
    assert.equal(d1.token, d2.token);
    const segment = { samples: new Float32Array(16000).map((_, i) => 0.2 * Math.sin(i / 7)), sampleRate: 16000 as const, startMs: 0, endMs: 1000 };
    const texts: string[] = [];
    for (const asr of [worker.asr, local.asr]) for await (const e of asr.transcribe({ segment })) if (e.type === 'done') texts.push(e.text);
    assert.equal(texts.length, 2);
    assert.equal(texts[0], texts[1]);
  } finally {
    await worker.close();
    await local.close();
  }
});

test('in the worker an abort ends the stream with done(aborted) and no later delta', async () => {
  const set = await createEmbeddedModelSet({ ...models(`${FIXTURES}/tiny-llm`), chat: { kind: 'embedded', model: `${FIXTURES}/tiny-llm`, maxNewTokens: 2000 } }, log);
  try {
    const controller = new AbortController();
    let deltas = 0;
    let afterAbort = 0;
    let done: Extract<GenerationEvent, { type: 'done' }> | undefined;
    for await (const e of set.instances![0].generate({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Tell me a joke.' }] }], temperature: 0, signal: controller.signal })) {
      if (e.type === 'done') done = e;
      else if (controller.signal.aborted) afterAbort++;
      else if (++deltas === 3) controller.abort();
    }
    assert.equal(done?.stats.finishReason, 'aborted');
    assert.ok(done!.stats.tokens < 2000);
    // Deltas already in flight on the message channel may still arrive; the worker stops at its next step.
    assert.ok(afterAbort < done!.stats.tokens);
    // A worker request that is aborted before it starts never generates.
    const early = await run(set.instances![1], 'Hi', AbortSignal.abort());
    assert.deepEqual(
      early.events.map((e) => e.type),
      ['done'],
    );
  } finally {
    await set.close();
  }
});

test('the shared abort flag is visible to the worker-side signal at once', () => {
  const slots = new AbortSlots();
  const slot = slots.take();
  const controller = new AbortController();
  const signal = slotSignal(slots.buffer, slot, controller);
  assert.equal(signal.aborted, false);
  slots.abort(slot);
  assert.equal(signal.aborted, true, 'no message round trip needed');
  assert.equal(controller.signal.aborted, true);
  slots.give(slot);
});

test('closing both instances stops the shared inference worker', async () => {
  const set = await createEmbeddedModelSet(models(`${FIXTURES}/tiny-llm`), log);
  const [a, b] = set.instances!;
  await a.close();
  assert.ok((await run(b, 'Hi')).events.at(-1)!.type === 'done', 'the other instance still works');
  await b.close();
  await assert.rejects(run(a, 'Hi'), (err: unknown) => (err as { code?: string }).code === 'model_error');
  await set.close(); // idempotent
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ChatEngine } from '../../models/embedded/chat/chat-engine.js';
import { EmbeddedChatInstance } from '../../models/embedded/chat/chat-instance.js';
import type { GenerationEvent } from '../../models/types.js';

const DIR = fileURLToPath(new URL('../fixtures/models/tiny-llm', import.meta.url));
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as {
  prompt_ids: number[];
  greedy_ids: number[];
  last_logits_first8: number[];
  state_token_ids: number[];
  state_probabilities: number[];
  chat_example: { role: 'system' | 'user' | 'assistant'; content: string }[];
  chat_example_rendered: string;
};
const GREEDY = { doSample: false, repetitionPenalty: 1 };

async function load(extra: Partial<Parameters<typeof ChatEngine.load>[0]> = {}): Promise<ChatEngine> {
  return ChatEngine.load({ dir: DIR, maxNewTokens: 64, stateTokens: ['1', '2', '3'], sampling: GREEDY, threads: 1, ...extra });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('the Qwen2.5 loading path reads the fixture: logits and greedy ids equal the torch goldens', async () => {
  const engine = await load();
  const ctx = engine.runner.newContext();
  assert.ok(await engine.runner.prefill(ctx, { ids: expected.prompt_ids }));
  assert.ok(maxAbsDiff(ctx.logits.subarray(0, 8), expected.last_logits_first8) < 1e-4);
  const ids = await collect(engine.generateIds(engine.runner.newContext(), { ids: expected.prompt_ids }, { maxNewTokens: expected.greedy_ids.length }));
  assert.deepEqual(ids, expected.greedy_ids);
  await engine.close();
});

test('KV-cache decoding equals full recomputation at every step', async () => {
  const engine = await load({ prefillChunk: 4 });
  const ctx = engine.runner.newContext();
  const seq = [...expected.prompt_ids];
  assert.ok(await engine.runner.prefill(ctx, { ids: seq }));
  const vocab = engine.runner.vocabSize;
  for (let step = 0; step < 12; step++) {
    const full = await engine.runner.fullLogits(seq);
    const lastRow = full.subarray((seq.length - 1) * vocab, seq.length * vocab);
    assert.ok(maxAbsDiff(ctx.logits, lastRow) < 1e-4, `step ${step}`);
    const next = expected.greedy_ids[step]!;
    seq.push(next);
    await engine.runner.step(ctx, next);
  }
  assert.equal(ctx.cache.length, seq.length);
  await engine.close();
});

test('a reused prompt prefix gives the same logits as a fresh prefill', async () => {
  const engine = await load({ prefillChunk: 3 });
  const fresh = engine.runner.newContext();
  const reused = engine.runner.newContext();
  const a = expected.prompt_ids;
  const b = [...a.slice(0, 7), 40, 41, 42];
  await engine.runner.prefill(reused, { ids: a });
  const runsBefore = reused.runs;
  await engine.runner.prefill(reused, { ids: b });
  assert.equal(reused.runs - runsBefore, 1, 'only the 3 new positions are run (one chunk)');
  await engine.runner.prefill(fresh, { ids: b });
  assert.ok(maxAbsDiff(fresh.logits, reused.logits) < 1e-5);
  await engine.close();
});

test('the chat template renders ChatML exactly as the Python golden does', async () => {
  const engine = await load();
  const text = engine.tokenizer.apply_chat_template(expected.chat_example as never, { tokenize: false, add_generation_prompt: true });
  assert.equal(text, expected.chat_example_rendered);
  await engine.close();
});

test('generate() streams text equal to decoding the ids, then exactly one done with stats', async () => {
  const engine = await load();
  const instance = new EmbeddedChatInstance('a', engine);
  const events = await collect(
    instance.generate({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello, how are you today?' }] }],
      instructions: 'You are a helpful assistant.',
      maxOutputTokens: 20,
      temperature: 0,
      signal: new AbortController().signal,
    }),
  );
  const done = events.filter((e): e is Extract<GenerationEvent, { type: 'done' }> => e.type === 'done');
  assert.equal(done.length, 1);
  assert.equal(events.at(-1)!.type, 'done');
  const { stats } = done[0]!;
  const text = events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
  // The same prompt through the id-level loop, decoded in one go.
  const input = await engine.promptInput({
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Hello, how are you today?' },
    ],
    images: [],
  });
  const ids = await collect(engine.generateIds(engine.runner.newContext(), input, { maxNewTokens: 20, temperature: 0 }));
  assert.equal(text, engine.tokenizer.decode(ids, { skip_special_tokens: true }));
  assert.equal(stats.tokens, ids.length);
  assert.equal(stats.promptTokens, input.ids.length);
  assert.equal(stats.finishReason, ids.length === 20 ? 'length' : 'stop');
  if (text.length > 0) assert.ok(stats.firstTokenMs !== null && stats.firstTokenMs >= 0);
  if (stats.tokens > 1) assert.ok(stats.tokensPerSecond !== null && stats.tokensPerSecond > 0);
  assert.ok(instance.memoryBytes() > 0);
  await engine.close();
});

test('abort mid-generation stops within one decode step', async () => {
  const engine = await load({ maxNewTokens: 400 });
  const instance = new EmbeddedChatInstance('a', engine);
  const controller = new AbortController();
  const ctx = instance.contexts.generator;
  let deltas = 0;
  let runsAtAbort = -1;
  let done: Extract<GenerationEvent, { type: 'done' }> | undefined;
  for await (const event of instance.generate({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Tell me a joke about cats.' }] }],
    temperature: 0,
    signal: controller.signal,
  })) {
    if (event.type === 'done') done = event;
    else if (runsAtAbort >= 0) assert.fail('a delta arrived after the abort');
    else if (++deltas === 5) {
      runsAtAbort = ctx.runs;
      controller.abort();
    }
  }
  assert.ok(runsAtAbort > 0, 'the generation produced 5 deltas');
  assert.equal(done?.stats.finishReason, 'aborted');
  assert.ok(ctx.runs - runsAtAbort <= 1, `ran ${ctx.runs - runsAtAbort} decode steps after the abort`);
  await engine.close();
});

test('an abort before the first token yields only done(aborted)', async () => {
  const engine = await load();
  const instance = new EmbeddedChatInstance('a', engine);
  const events = await collect(
    instance.generate({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], signal: AbortSignal.abort() }),
  );
  assert.deepEqual(
    events.map((e) => e.type),
    ['done'],
  );
  assert.equal((events[0] as Extract<GenerationEvent, { type: 'done' }>).stats.finishReason, 'aborted');
  await engine.close();
});

test('history that does not fit the context is dropped oldest first; a query that cannot fit is refused', async () => {
  const engine = await load({ contextLimit: 160, maxNewTokens: 16 });
  const instance = new EmbeddedChatInstance('a', engine);
  const history = Array.from({ length: 12 }, (_, i) => ({
    role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant',
    content: [{ type: 'text' as const, text: `message ${i} about the weather in Paris` }],
  }));
  const events = await collect(
    instance.generate({ messages: [...history, { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] }], temperature: 0, signal: new AbortController().signal }),
  );
  const done = events.at(-1) as Extract<GenerationEvent, { type: 'done' }>;
  assert.ok(done.stats.promptTokens! <= 160 - 16, `prompt of ${done.stats.promptTokens} tokens`);
  assert.ok(done.stats.promptTokens! > 40, 'some history was kept');
  await assert.rejects(
    collect(instance.generate({ messages: [{ role: 'user', content: [{ type: 'text', text: 'weather '.repeat(200) }] }], signal: new AbortController().signal })),
    (err: unknown) => (err as { code?: string }).code === 'prompt_too_long',
  );
  await engine.close();
});

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { RemoteEndpoint } from '../../models/config.js';
import { createRemoteModelSet, RemoteEngineError, type RemoteModelSet } from '../../models/remote/index.js';
import type { ChatMessage, GenerationEvent, ModelInstance } from '../../models/types.js';
import { captureLog, endpointFor, FakeEngine, startFakeEngine } from '../support/fake-engine.js';

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });

/** Runs a generation to its end; returns the deltas seen and the error thrown, if any. */
async function run(instance: ModelInstance): Promise<{ text: string[]; done: number; error: RemoteEngineError | undefined }> {
  const text: string[] = [];
  let done = 0;
  try {
    for await (const e of instance.generate({ messages: [user('hi')], signal: new AbortController().signal })) {
      if (e.type === 'delta') text.push(e.text);
      else done++;
    }
  } catch (err) {
    assert.ok(err instanceof RemoteEngineError, `expected a RemoteEngineError, got ${String(err)}`);
    return { text, done, error: err };
  }
  return { text, done, error: undefined };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('remote engine faults', () => {
  let engine: FakeEngine;
  let set: RemoteModelSet | undefined;
  let sleeps: number[];
  let log = captureLog();

  const make = (endpoint: Partial<RemoteEndpoint> = {}, baseUrl?: string): ModelInstance => {
    sleeps = [];
    log = captureLog();
    set = createRemoteModelSet(
      { cacheDir: '.cache/models', chat: { kind: 'remote', generator: endpointFor(baseUrl ?? engine, endpoint), vision: false, maxNewTokens: 32 }, asr: null, tts: null },
      log,
      {
        probeOnStart: false,
        reprobeIntervalMs: 0,
        random: () => 0.5,
        // Backoff waits are recorded, not slept: the policy is checked without timing anything.
        sleep: async (ms) => void sleeps.push(ms),
      },
    );
    return set.instances![0];
  };

  before(async () => {
    engine = await startFakeEngine();
  });
  after(async () => {
    await engine.close();
  });
  beforeEach(async () => {
    await set?.close();
    set = undefined;
    engine.requests.length = 0;
  });

  test('engine unreachable: engine_unavailable after the retry budget', async () => {
    const port = await freePort();
    const instance = make({ maxRetries: 2 }, `http://127.0.0.1:${port}/v1`);
    const { text, error } = await run(instance);
    assert.deepEqual(text, []);
    assert.equal(error?.code, 'engine_unavailable');
    assert.equal(error?.role, 'generator');
    assert.equal(error?.attempts, 3);
    assert.equal(sleeps.length, 2);
    assert.equal(set!.status().generator.available, false);
    assert.match(set!.status().generator.reason ?? '', /generator engine down/);
  });

  test('engine dies mid-stream: the partial answer stands, the error says output started, nothing is replayed', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['one', ' two', ' three', ' four'], ending: 'destroy', endAfter: 2 });
    const { text, done, error } = await run(make());
    assert.deepEqual(text, ['one', ' two']);
    assert.equal(done, 0);
    assert.equal(error?.code, 'engine_disconnected');
    assert.equal(error?.outputStarted, true);
    assert.equal(engine.requestsFor('chat').length, 1, 'no second request after output began');
    assert.deepEqual(sleeps, []);
    const warned = log.entries.find((e) => e.level === 'warn' && (e.obj as { code?: string }).code === 'engine_disconnected');
    assert.ok(warned, 'the failure is logged with its code');
    assert.equal((warned.obj as { outputStarted?: boolean }).outputStarted, true);
  });

  test('a clean close without [DONE] or finish_reason is a disconnect too', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b', 'c'], ending: 'end', endAfter: 1 });
    const { text, error } = await run(make());
    assert.deepEqual(text, ['a']);
    assert.equal(error?.code, 'engine_disconnected');
    assert.equal(engine.requestsFor('chat').length, 1);
  });

  test('a disconnect before the first token is retried (nothing was handed on)', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['x'], ending: 'destroy', endAfter: 0 }, { kind: 'stream', tokens: ['fine'] });
    const { text, error } = await run(make());
    assert.equal(error, undefined);
    assert.deepEqual(text, ['fine']);
    assert.equal(engine.requestsFor('chat').length, 2);
    assert.equal(sleeps.length, 1);
  });

  test('slow engine, no headers: engine_timeout from firstTokenTimeoutMs', async () => {
    engine.script('chat', { kind: 'hang' });
    const { error } = await run(make({ firstTokenTimeoutMs: 150 }));
    assert.equal(error?.code, 'engine_timeout');
    assert.match(error?.message ?? '', /firstTokenTimeoutMs/);
    assert.equal(engine.requestsFor('chat').length, 1, 'timeouts are not retried');
    assert.equal((await engine.requestsFor('chat')[0]!.closed).byClient, true);
  });

  test('slow engine, headers but no token: engine_timeout from firstTokenTimeoutMs', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['late'], firstTokenDelayMs: 60_000 });
    const { text, error } = await run(make({ firstTokenTimeoutMs: 150 }));
    assert.deepEqual(text, []);
    assert.equal(error?.code, 'engine_timeout');
    assert.match(error?.message ?? '', /no first token/);
  });

  test('slow drip: engine_timeout from idleTimeoutMs after partial output', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b', 'c'], ending: 'hang', endAfter: 2 });
    const { text, error } = await run(make({ idleTimeoutMs: 150 }));
    assert.deepEqual(text, ['a', 'b']);
    assert.equal(error?.code, 'engine_timeout');
    assert.match(error?.message ?? '', /idleTimeoutMs/);
    assert.equal(error?.outputStarted, true);
    assert.equal((await engine.requestsFor('chat')[0]!.closed).byClient, true);
  });

  test('429 with Retry-After: waits what the engine asks, then streams', async () => {
    engine.script('chat', { kind: 'status', status: 429, retryAfter: '1' }, { kind: 'status', status: 429, retryAfterMs: 250, retryAfter: '1' }, { kind: 'stream', tokens: ['ok'] });
    const { text, error } = await run(make({ maxRetries: 3 }));
    assert.equal(error, undefined);
    assert.deepEqual(text, ['ok']);
    assert.deepEqual(sleeps, [1000, 250], 'Retry-After seconds, then retry-after-ms preferred');
  });

  test('429 on every attempt: engine_rate_limited after maxRetries', async () => {
    engine.script('chat', ...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 429, message: 'slow down' })));
    const { error } = await run(make({ maxRetries: 2 }));
    assert.equal(error?.code, 'engine_rate_limited');
    assert.equal(error?.status, 429);
    assert.match(error?.message ?? '', /slow down/);
    assert.equal(engine.requestsFor('chat').length, 3);
    // Exponential with jitter fixed at 0.5: 3/4 of 200 ms, then 3/4 of 400 ms.
    assert.deepEqual(sleeps, [150, 300]);
  });

  test('a Retry-After longer than the client waits fails at once', async () => {
    engine.script('chat', { kind: 'status', status: 429, retryAfter: '120' });
    const { error } = await run(make({ maxRetries: 2 }));
    assert.equal(error?.code, 'engine_rate_limited');
    assert.equal(error?.retryAfterMs, 120_000);
    assert.deepEqual(sleeps, []);
  });

  test('5xx then success: retried before the stream starts', async () => {
    engine.script('chat', { kind: 'status', status: 500, shape: 'vllm-legacy' }, { kind: 'status', status: 503, shape: 'openai' }, { kind: 'stream', tokens: ['back'] });
    const { text, error } = await run(make({ maxRetries: 2 }));
    assert.equal(error, undefined);
    assert.deepEqual(text, ['back']);
    assert.equal(engine.requestsFor('chat').length, 3);
  });

  test('5xx on every attempt: engine_error with the engine message', async () => {
    engine.script('chat', { kind: 'status', status: 500, message: 'CUDA out of memory', shape: 'vllm' }, { kind: 'status', status: 500, message: 'CUDA out of memory' });
    const { error } = await run(make({ maxRetries: 1 }));
    assert.equal(error?.code, 'engine_error');
    assert.match(error?.message ?? '', /CUDA out of memory/);
  });

  test('400 is not retried: engine_rejected', async () => {
    engine.script('chat', { kind: 'status', status: 400, message: "This model's maximum context length is 4096 tokens", shape: 'openai' });
    const { error } = await run(make({ maxRetries: 2 }));
    assert.equal(error?.code, 'engine_rejected');
    assert.equal(error?.status, 400);
    assert.match(error?.message ?? '', /maximum context length/);
    assert.equal(engine.requestsFor('chat').length, 1);
  });

  test('malformed chunk (bad JSON): engine_protocol_error, connection closed', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b'], ending: 'malformed', endAfter: 1 });
    const { text, error } = await run(make());
    assert.deepEqual(text, ['a']);
    assert.equal(error?.code, 'engine_protocol_error');
    assert.match(error?.message ?? '', /not JSON/);
    assert.equal((await engine.requestsFor('chat')[0]!.closed).byClient, true);
  });

  test('chunk without choices: engine_protocol_error', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b'], ending: 'missing-fields', endAfter: 1 });
    const { error } = await run(make());
    assert.equal(error?.code, 'engine_protocol_error');
    assert.match(error?.message ?? '', /no choices/);
  });

  test('protocol errors before any output are not retried', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a'], ending: 'malformed', endAfter: 0 });
    const { error } = await run(make());
    assert.equal(error?.code, 'engine_protocol_error');
    assert.equal(error?.outputStarted, false);
    assert.equal(engine.requestsFor('chat').length, 1);
  });

  test('an error reported inside the stream: engine_error after the partial output', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b'], ending: 'error', endAfter: 1 });
    const { text, error } = await run(make());
    assert.deepEqual(text, ['a']);
    assert.equal(error?.code, 'engine_error');
    assert.match(error?.message ?? '', /EngineCore encountered an issue/);
    assert.equal(error?.outputStarted, true);
  });

  test('an abort during backoff ends the generation as aborted', async () => {
    const controller = new AbortController();
    sleeps = [];
    set = createRemoteModelSet(
      { cacheDir: '.cache/models', chat: { kind: 'remote', generator: endpointFor(engine), vision: false, maxNewTokens: 8 }, asr: null, tts: null },
      captureLog(),
      { probeOnStart: false, reprobeIntervalMs: 0, retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 } },
    );
    engine.script('chat', { kind: 'status', status: 503 });
    const events: GenerationEvent[] = [];
    const consuming = (async () => {
      for await (const e of set!.instances![0].generate({ messages: [user('x')], signal: controller.signal })) events.push(e);
    })();
    await engine.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await consuming;
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type === 'done' && events[0]!.stats.finishReason, 'aborted');
    assert.equal(engine.requestsFor('chat').length, 1);
  });

  test('the next turn after a failure goes through (the model layer keeps no broken state)', async () => {
    const instance = make();
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b'], ending: 'destroy', endAfter: 1 });
    assert.equal((await run(instance)).error?.code, 'engine_disconnected');
    const second = await run(instance);
    assert.equal(second.error, undefined);
    assert.deepEqual(second.text, ['Hello', ',', ' world', '.']);
  });
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { ModelsSection } from '../../models/config.js';
import { createRemoteModelSet, type RemoteModelSet } from '../../models/remote/index.js';
import type { ChatMessage, GenerationEvent, GenerationStats, ModelInstance } from '../../models/types.js';
import { captureLog, endpointFor, FakeEngine, startFakeEngine, type CapturedLog } from '../support/fake-engine.js';

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

async function collect(events: AsyncIterable<GenerationEvent>): Promise<{ text: string[]; done: GenerationStats[] }> {
  const text: string[] = [];
  const done: GenerationStats[] = [];
  for await (const e of events) {
    if (e.type === 'delta') text.push(e.text);
    else done.push(e.stats);
  }
  return { text, done };
}

function chatConfig(engine: FakeEngine, extra: Partial<Extract<NonNullable<ModelsSection['chat']>, { kind: 'remote' }>> = {}): ModelsSection {
  return {
    cacheDir: '.cache/models',
    chat: { kind: 'remote', generator: endpointFor(engine, { apiKeyEnv: 'FAKE_ENGINE_KEY' }), vision: true, maxNewTokens: 64, ...extra },
    asr: null,
    tts: null,
  };
}

describe('remote generator', () => {
  let engine: FakeEngine;
  let set: RemoteModelSet;
  let log: CapturedLog;
  let instance: ModelInstance;

  before(async () => {
    engine = await startFakeEngine();
  });
  after(async () => {
    await engine.close();
  });
  beforeEach(async () => {
    await set?.close();
    engine.requests.length = 0;
    log = captureLog();
    set = createRemoteModelSet(chatConfig(engine), log, { env: { FAKE_ENGINE_KEY: 'sk-test-secret-123' }, probeOnStart: false, reprobeIntervalMs: 0 });
    instance = set.instances![0];
  });

  test('streams deltas in order and ends with one done carrying usage-based stats', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['Hel', 'lo', ' there', '!'], tokenDelayMs: 2 });
    const { text, done } = await collect(instance.generate({ messages: [user('hi')], signal: new AbortController().signal }));
    assert.deepEqual(text, ['Hel', 'lo', ' there', '!']);
    assert.equal(done.length, 1);
    const stats = done[0]!;
    assert.equal(stats.finishReason, 'stop');
    assert.equal(stats.tokens, 4);
    assert.equal(stats.promptTokens, 17);
    assert.ok(stats.firstTokenMs !== null && stats.firstTokenMs >= 0);
    assert.ok(stats.tokensPerSecond !== null && stats.tokensPerSecond > 0);
  });

  test('sends a streaming Chat Completions request with usage, images as data URLs and audio as transcript', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const messages: ChatMessage[] = [
      { role: 'user', content: [{ type: 'audio', segment: { samples: new Float32Array(160), sampleRate: 16000, startMs: 0, endMs: 10 }, transcript: 'what is this' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'and now?' },
          { type: 'image', image: { mimeType: 'image/png', bytes: png, width: 1, height: 1 } },
          { type: 'audio', segment: { samples: new Float32Array(160), sampleRate: 16000, startMs: 0, endMs: 10 } },
        ],
      },
    ];
    await collect(instance.generate({ messages, instructions: 'Be brief.', maxOutputTokens: 7, temperature: 0.2, signal: new AbortController().signal }));
    const [req] = engine.requestsFor('chat');
    assert.ok(req);
    assert.equal(req.headers.authorization, 'Bearer sk-test-secret-123');
    const body = req.json;
    assert.equal(body.model, 'fake-model');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.max_tokens, 7);
    assert.equal(body.temperature, 0.2);
    assert.deepEqual(body.messages[0], { role: 'system', content: 'Be brief.' });
    assert.deepEqual(body.messages[1], { role: 'user', content: 'what is this' });
    assert.deepEqual(body.messages[2], { role: 'assistant', content: 'Let me look.' });
    const last = body.messages[3];
    assert.equal(last.role, 'user');
    assert.deepEqual(last.content[0], { type: 'text', text: 'and now?' });
    assert.deepEqual(last.content[1], { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` } });
    assert.equal(last.content[2].type, 'text');
    assert.match(last.content[2].text, /without a transcript/);
    assert.ok(!log.text().includes('sk-test-secret-123'), 'the API key is never logged');
  });

  test('sequential answers, completions and probes reuse one keep-alive connection', async () => {
    const before = engine.connectionsAccepted;
    for (let i = 0; i < 3; i++) await collect(instance.generate({ messages: [user('hi')], signal: new AbortController().signal }));
    engine.script('chat', { kind: 'reply', content: '1', logprobs: [{ token: '1', logprob: -0.1 }] });
    await instance.classify({ transcript: 'x', history: [] });
    await set.probe();
    assert.equal(engine.requests.length, 5);
    assert.equal(engine.connectionsAccepted - before, 1);
  });

  test('credentials in baseUrl go into the request, not into status or errors; a trailing slash is fine', async () => {
    const url = new URL(engine.url);
    const s = createRemoteModelSet(
      { cacheDir: 'x', chat: { kind: 'remote', generator: endpointFor(`http://duet:pa55w0rd@${url.host}/v1/`), vision: false, maxNewTokens: 8 }, asr: null, tts: null },
      log,
      { probeOnStart: false, reprobeIntervalMs: 0 },
    );
    try {
      await collect(s.instances![0].generate({ messages: [user('x')], signal: new AbortController().signal }));
      const [req] = engine.requestsFor('chat');
      assert.equal(req!.path, '/v1/chat/completions');
      assert.equal(req!.headers.authorization, `Basic ${Buffer.from('duet:pa55w0rd').toString('base64')}`);
      await s.probe();
      assert.equal(s.status().generator.backend, `remote:http://${url.host}/v1#fake-model`);
      assert.ok(!log.text().includes('pa55w0rd'));
    } finally {
      await s.close();
    }
  });

  test('uses maxNewTokens from config when the request sets no limit', async () => {
    await collect(instance.generate({ messages: [user('hi')], signal: new AbortController().signal }));
    assert.equal(engine.requestsFor('chat')[0]!.json.max_tokens, 64);
  });

  test('reads the OpenAI flavour too (usage: null on chunks, separate finish chunk)', async () => {
    const openai = await startFakeEngine({ flavour: 'openai' });
    const s = createRemoteModelSet(chatConfig(openai), captureLog(), { probeOnStart: false, reprobeIntervalMs: 0 });
    try {
      openai.script('chat', { kind: 'stream', tokens: ['a', 'b'], finishReason: 'length' });
      const { text, done } = await collect(s.instances![0].generate({ messages: [user('x')], signal: new AbortController().signal }));
      assert.deepEqual(text, ['a', 'b']);
      assert.equal(done[0]!.finishReason, 'length');
      assert.equal(done[0]!.tokens, 2);
    } finally {
      await s.close();
      await openai.close();
    }
  });

  test('abort closes the connection at the engine while it is still streaming', async () => {
    // The engine sends three tokens and then holds the stream open forever:
    // only the client closing the socket ends this request.
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b', 'c', 'd', 'e'], ending: 'hang', endAfter: 3 });
    const controller = new AbortController();
    const events: GenerationEvent[] = [];
    for await (const e of instance.generate({ messages: [user('go')], signal: controller.signal })) {
      events.push(e);
      if (events.length === 3) controller.abort();
    }
    assert.deepEqual(events.slice(0, 3), [
      { type: 'delta', text: 'a' },
      { type: 'delta', text: 'b' },
      { type: 'delta', text: 'c' },
    ]);
    assert.equal(events.length, 4);
    assert.equal(events[3]!.type, 'done');
    assert.equal((events[3] as { stats: GenerationStats }).stats.finishReason, 'aborted');
    const closed = await within(engine.requestsFor('chat')[0]!.closed, 5000, 'engine sees the close');
    assert.equal(closed.byClient, true);
    assert.equal(closed.tokensWritten, 3);
  });

  test('abort closes the connection even when the consumer is not reading', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b'], ending: 'hang', endAfter: 1 });
    const controller = new AbortController();
    const it = instance.generate({ messages: [user('go')], signal: controller.signal })[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { done: false, value: { type: 'delta', text: 'a' } });
    controller.abort(); // the consumer does not call next() yet
    const closed = await within(engine.requestsFor('chat')[0]!.closed, 5000, 'engine sees the close');
    assert.equal(closed.byClient, true);
    const next = await it.next();
    assert.equal(next.done, false);
    assert.equal((next.value as { type: string }).type, 'done');
    assert.equal((await it.next()).done, true);
  });

  test('breaking out of the loop closes the connection', async () => {
    engine.script('chat', { kind: 'stream', tokens: ['a', 'b', 'c'], ending: 'hang', endAfter: 2 });
    for await (const e of instance.generate({ messages: [user('go')], signal: new AbortController().signal })) {
      if (e.type === 'delta') break;
    }
    const closed = await within(engine.requestsFor('chat')[0]!.closed, 5000, 'engine sees the close');
    assert.equal(closed.byClient, true);
  });

  test('an aborted signal yields done(aborted) without contacting the engine', async () => {
    const controller = new AbortController();
    controller.abort();
    const { text, done } = await collect(instance.generate({ messages: [user('x')], signal: controller.signal }));
    assert.deepEqual(text, []);
    assert.equal(done[0]!.finishReason, 'aborted');
    assert.equal(engine.requestsFor('chat').length, 0);
  });

  test('requests beyond maxConcurrent wait, and a waiting request can be aborted', async () => {
    const s = createRemoteModelSet(
      { cacheDir: '.cache/models', chat: { kind: 'remote', generator: endpointFor(engine, { maxConcurrent: 1 }), vision: false, maxNewTokens: 8 }, asr: null, tts: null },
      captureLog(),
      { probeOnStart: false, reprobeIntervalMs: 0 },
    );
    try {
      engine.script('chat', { kind: 'stream', tokens: ['x', 'y'], ending: 'hang', endAfter: 1 });
      const first = new AbortController();
      const it1 = s.instances![0].generate({ messages: [user('1')], signal: first.signal })[Symbol.asyncIterator]();
      assert.equal(((await it1.next()).value as { type: string }).type, 'delta');
      // Second request: the slot is taken, so it queues without reaching the engine.
      const second = new AbortController();
      const pending = collect(s.instances![1].generate({ messages: [user('2')], signal: second.signal }));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(engine.requestsFor('chat').length, 1);
      second.abort();
      const result = await within(pending, 5000, 'queued request ends on abort');
      assert.equal(result.done[0]!.finishReason, 'aborted');
      assert.equal(engine.requestsFor('chat').length, 1);
      // Releasing the first slot lets a new request through.
      first.abort();
      await it1.next();
      const third = await collect(s.instances![0].generate({ messages: [user('3')], signal: new AbortController().signal }));
      assert.deepEqual(third.text, ['Hello', ',', ' world', '.']);
    } finally {
      await s.close();
    }
  });

  test('strips a leading VITA state token when state tokens are configured', async () => {
    const s = createRemoteModelSet(chatConfig(engine, { stateTokens: ['☞', '☟', '☜'] }), captureLog(), { probeOnStart: false, reprobeIntervalMs: 0 });
    try {
      engine.script('chat', { kind: 'stream', tokens: ['☞', ' Sure', ', here.'] });
      const { text } = await collect(s.instances![0].generate({ messages: [user('x')], signal: new AbortController().signal }));
      assert.deepEqual(text, ['Sure', ', here.']);
      engine.script('chat', { kind: 'stream', tokens: ['No', ' token'] });
      const plain = await collect(s.instances![0].generate({ messages: [user('x')], signal: new AbortController().signal }));
      assert.deepEqual(plain.text, ['No', ' token']);
    } finally {
      await s.close();
    }
  });

  test('a JSON completion answered to a stream request is read as one delta', async () => {
    engine.script('chat', {
      kind: 'raw',
      contentType: 'application/json',
      body: JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'whole answer' }, finish_reason: 'stop' }] }),
    });
    const { text, done } = await collect(instance.generate({ messages: [user('x')], signal: new AbortController().signal }));
    assert.deepEqual(text, ['whole answer']);
    assert.equal(done[0]!.finishReason, 'stop');
  });
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createRemoteModelSet, RemoteEngineError, type RemoteModelSet, type RemoteModelSetOptions } from '../../models/remote/index.js';
import type { AudioSegment, ChatMessage, ModelInstance } from '../../models/types.js';
import { captureLog, endpointFor, FakeEngine, startFakeEngine, type CapturedLog } from '../support/fake-engine.js';

const segment: AudioSegment = { samples: new Float32Array(1600), sampleRate: 16000, startMs: 0, endMs: 100 };
const history: ChatMessage[] = [
  { role: 'user', content: [{ type: 'text', text: 'Tell me about Mars.' }, { type: 'image', image: { mimeType: 'image/jpeg', bytes: new Uint8Array([1, 2]), width: 1, height: 1 } }] },
  { role: 'assistant', content: [{ type: 'text', text: 'Mars is the fourth planet' }] },
];

const softmax3 = (a: number, b: number, c: number) => {
  const m = Math.max(a, b, c);
  const e = [a, b, c].map((v) => Math.exp(v - m));
  const s = e[0]! + e[1]! + e[2]!;
  return e.map((v) => v / s);
};

describe('remote monitor', () => {
  let engine: FakeEngine;
  let set: RemoteModelSet | undefined;
  let log: CapturedLog;

  const make = (options: RemoteModelSetOptions = {}, stateTokens?: [string, string, string] | [string, string, string, string]): ModelInstance => {
    log = captureLog();
    set = createRemoteModelSet(
      {
        cacheDir: '.cache/models',
        chat: { kind: 'remote', generator: endpointFor(engine), vision: true, maxNewTokens: 32, ...(stateTokens ? { stateTokens } : {}) },
        asr: null,
        tts: null,
      },
      log,
      { probeOnStart: false, reprobeIntervalMs: 0, ...options },
    );
    return set.instances![1];
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

  test('one request with max_tokens 1 and top logprobs; the decision is the softmax over the state tokens', async () => {
    engine.script('chat', {
      kind: 'reply',
      content: '2',
      logprobs: [
        { token: '2', logprob: -0.4 },
        { token: '1', logprob: -1.3 },
        { token: 'The', logprob: -3.0 },
        { token: '3', logprob: -4.2 },
      ],
    });
    const decision = await make().classify({ segment, transcript: 'did you feed the cat', history });
    const [req] = engine.requestsFor('chat');
    const body = req!.json;
    assert.equal(body.max_tokens, 1);
    assert.equal(body.logprobs, true);
    assert.equal(body.top_logprobs, 20);
    assert.equal(body.temperature, 0);
    assert.equal(body.stream, false);
    assert.equal(body.messages[0].role, 'system');
    assert.match(body.messages[0].content, /^1 if .*$/m);
    assert.match(body.messages[0].content, /^2 if .*$/m);
    assert.deepEqual(body.messages[1], { role: 'user', content: 'Tell me about Mars.' }, 'images are dropped from monitor history');
    assert.deepEqual(body.messages.at(-1), { role: 'user', content: 'did you feed the cat' });
    const [q, n, t] = softmax3(-1.3, -0.4, -4.2);
    assert.equal(decision.token, 'noise');
    assert.ok(Math.abs(decision.probabilities.query - q!) < 1e-9);
    assert.ok(Math.abs(decision.probabilities.noise - n!) < 1e-9);
    assert.ok(Math.abs(decision.probabilities.text - t!) < 1e-9);
    assert.ok(decision.elapsedMs >= 0);
  });

  test('configured state tokens, leading-space variants summed, missing token floored', async () => {
    engine.script('chat', {
      kind: 'reply',
      content: '☞',
      logprobs: [
        { token: '☞', logprob: Math.log(0.6) },
        { token: ' ☞', logprob: Math.log(0.1) },
        { token: '☟', logprob: Math.log(0.2) },
        { token: 'x', logprob: Math.log(0.05) },
      ],
    });
    const decision = await make({ topLogprobs: 5 }, ['☞', '☟', '☜']).classify({ transcript: 'hey assistant', history: [] });
    assert.equal(engine.requestsFor('chat')[0]!.json.top_logprobs, 5);
    // ☜ is not listed: it gets at most the mass the listing leaves (0.05), and no more than the lowest listed (0.05).
    const [q, n, t] = softmax3(Math.log(0.7), Math.log(0.2), Math.log(0.05));
    assert.equal(decision.token, 'query');
    assert.ok(Math.abs(decision.probabilities.query - q!) < 1e-9);
    assert.ok(Math.abs(decision.probabilities.noise - n!) < 1e-9);
    assert.ok(Math.abs(decision.probabilities.text - t!) < 1e-9);
  });

  test('engine without logprobs: the single generated token decides', async () => {
    engine.script('chat', { kind: 'reply', content: '3', logprobs: null });
    const decision = await make().classify({ transcript: 'typed question', history: [] });
    assert.equal(decision.token, 'text');
    assert.deepEqual(decision.probabilities, { query: 0, noise: 0, text: 1 });
    assert.equal(engine.requestsFor('chat').length, 1);
  });

  test('engine refusing logprobs (400): constrained JSON-schema choice, remembered for later calls', async () => {
    const instance = make();
    engine.script(
      'chat',
      { kind: 'status', status: 400, message: 'logprobs is not supported by this model', shape: 'vllm' },
      { kind: 'reply', content: '{"state": "2"}' },
      { kind: 'reply', content: '{"state":"1"}' },
    );
    const first = await instance.classify({ segment, transcript: 'uh huh', history });
    assert.equal(first.token, 'noise');
    const second = await instance.classify({ segment, transcript: 'what time is it', history });
    assert.equal(second.token, 'query');
    const reqs = engine.requestsFor('chat');
    assert.equal(reqs.length, 3, 'the refused request is not sent again');
    assert.equal(reqs[1]!.json.logprobs, undefined);
    assert.equal(reqs[1]!.json.response_format.type, 'json_schema');
    assert.deepEqual(reqs[1]!.json.response_format.json_schema.schema.properties.state.enum, ['1', '2', '3']);
    assert.equal(reqs[2]!.json.response_format.type, 'json_schema');
    assert.ok(log.entries.some((e) => e.level === 'warn' && /constrained/.test(e.msg ?? '')));
  });

  test('first token names no state token: falls back to the constrained choice (vLLM guided_choice)', async () => {
    engine.script('chat', { kind: 'reply', content: 'Sure', logprobs: [{ token: 'Sure', logprob: -0.1 }, { token: 'Yes', logprob: -2.5 }] }, { kind: 'reply', content: '1' });
    const decision = await make({ constrainedChoice: 'guided_choice' }).classify({ transcript: 'hello?', history: [] });
    assert.equal(decision.token, 'query');
    const reqs = engine.requestsFor('chat');
    assert.equal(reqs.length, 2);
    assert.deepEqual(reqs[1]!.json.guided_choice, ['1', '2', '3']);
  });

  test('vLLM 0.12+ choice constraint: structured_outputs.choice', async () => {
    engine.script('chat', { kind: 'reply', content: '3' });
    const decision = await make({ monitorMethod: 'constrained', constrainedChoice: 'structured_outputs' }).classify({ transcript: 'typed', history: [] });
    assert.equal(decision.token, 'text');
    assert.deepEqual(engine.requestsFor('chat')[0]!.json.structured_outputs, { choice: ['1', '2', '3'] });
  });

  test('method "logprobs" is strict: no state token among the logprobs is a protocol error', async () => {
    engine.script('chat', { kind: 'reply', content: 'Sure', logprobs: [{ token: 'Sure', logprob: -0.1 }] });
    await assert.rejects(
      make({ monitorMethod: 'logprobs' }).classify({ transcript: 'hello?', history: [] }),
      (err: unknown) => err instanceof RemoteEngineError && err.code === 'engine_protocol_error' && err.role === 'monitor',
    );
  });

  test('method "constrained" never asks for logprobs', async () => {
    engine.script('chat', { kind: 'reply', content: '{"state":"2"}' });
    const decision = await make({ monitorMethod: 'constrained' }).classify({ transcript: 'mm', history: [] });
    assert.equal(decision.token, 'noise');
    assert.equal(engine.requestsFor('chat')[0]!.json.logprobs, undefined);
  });

  test('no instructions for models trained on the state tokens; a segment without transcript gets a note', async () => {
    engine.script('chat', { kind: 'reply', content: '☟', logprobs: [{ token: '☟', logprob: -0.01 }] });
    const decision = await make({ monitorInstructions: null }, ['☞', '☟', '☜']).classify({ segment, history: [] });
    assert.equal(decision.token, 'noise');
    const body = engine.requestsFor('chat')[0]!.json;
    assert.equal(body.messages.length, 1);
    assert.equal(body.messages[0].role, 'user');
    assert.match(body.messages[0].content, /without a transcript/);
  });

  test('incomplete (<4>): asked for, the fourth string is defined in the instructions and read from the same first-token logprobs', async () => {
    const listed = [
      { token: '4', logprob: -0.3 },
      { token: '1', logprob: -1.6 },
      { token: '2', logprob: -2.9 },
      { token: '3', logprob: -6.0 },
    ];
    engine.script('chat', { kind: 'reply', content: '4', logprobs: listed }, { kind: 'reply', content: '4', logprobs: listed });
    const instance = make();
    const asked = await instance.classify({ segment, transcript: 'I would like to know', history, allowIncomplete: true });
    const withFourth = engine.requestsFor('chat')[0]!.json;
    assert.match(withFourth.messages[0].content, /^4 if the speaker stopped in the middle of a sentence/m);
    assert.equal(withFourth.max_tokens, 1, 'still one request of one token');
    const e = [-1.6, -2.9, -6.0, -0.3].map((v) => Math.exp(v));
    const sum = e.reduce((a, b) => a + b, 0);
    assert.equal(asked.token, 'incomplete');
    assert.ok(Math.abs(asked.probabilities.incomplete! - e[3]! / sum) < 1e-9);
    assert.ok(Math.abs(asked.probabilities.query - e[0]! / sum) < 1e-9);
    assert.ok(Math.abs(asked.probabilities.query + asked.probabilities.noise + asked.probabilities.text + asked.probabilities.incomplete! - 1) < 1e-12);
    // Not asked (turns.endOfTurn without monitor): three outcomes, as before, and no fourth line.
    const plain = await instance.classify({ segment, transcript: 'I would like to know', history });
    assert.doesNotMatch(engine.requestsFor('chat')[1]!.json.messages[0].content, /^4 if/m);
    assert.equal(plain.token, 'query');
    assert.equal(plain.probabilities.incomplete, undefined);
  });

  test('incomplete through the constrained choice, and a configured fourth string', async () => {
    engine.script('chat', { kind: 'reply', content: '{"state":"wait"}' });
    const decision = await make({ monitorMethod: 'constrained' }, ['answer', 'ignore', 'typed', 'wait']).classify({ transcript: 'so the thing is', history: [], allowIncomplete: true });
    assert.equal(decision.token, 'incomplete');
    assert.deepEqual(decision.probabilities, { query: 0, noise: 0, text: 0, incomplete: 1 });
    assert.deepEqual(engine.requestsFor('chat')[0]!.json.response_format.json_schema.schema.properties.state.enum, ['answer', 'ignore', 'typed', 'wait']);
    // Strings with no default fourth and none configured: never incomplete, even when asked.
    engine.script('chat', { kind: 'reply', content: '{"state":"☟"}' });
    await set?.close();
    const none = await make({ monitorMethod: 'constrained' }, ['☞', '☟', '☜']).classify({ transcript: 'so the thing is', history: [], allowIncomplete: true });
    assert.equal(none.token, 'noise');
    assert.deepEqual(engine.requestsFor('chat').at(-1)!.json.response_format.json_schema.schema.properties.state.enum, ['☞', '☟', '☜']);
  });

  test('classify retries 5xx and honours abort', async () => {
    engine.script('chat', { kind: 'status', status: 502 }, { kind: 'reply', content: '1', logprobs: [{ token: '1', logprob: -0.2 }] });
    const instance = make({ sleep: async () => {} });
    assert.equal((await instance.classify({ transcript: 'q', history: [] })).token, 'query');
    engine.script('chat', { kind: 'hang' });
    const controller = new AbortController();
    const pending = instance.classify({ transcript: 'q', history: [], signal: controller.signal });
    await engine.waitForRequests(3);
    controller.abort();
    await assert.rejects(pending, (err: unknown) => (err as Error).name === 'AbortError');
    assert.equal((await engine.requestsFor('chat')[2]!.closed).byClient, true);
  });
});

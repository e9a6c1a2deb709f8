import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { endpointFor, startFakeEngine } from '../support/fake-engine.js';
import { espeakAvailable, speak } from '../support/espeak.js';
import { concat, silence, streamAudio } from '../support/speech.js';

// The whole server against an in-test OpenAI-compatible engine (the only fake: it stands for
// a vLLM process outside ours).

function textTurn(client: TestClient, text: string): number {
  const from = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
  client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
  return from;
}

test('remote engine: an answer streams through; an engine dying mid-answer gives engine_disconnected and response.done failed; the next turn works', async () => {
  const engine = await startFakeEngine();
  engine.script('models', { kind: 'models', ids: ['duet-chat'] });
  const server = await startServer({ models: { chat: { kind: 'remote', generator: endpointFor(engine, { model: 'duet-chat' }) }, tts: null } });
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    engine.script('chat', { kind: 'stream', tokens: ['Hello', ' from', ' the', ' engine.'], tokenDelayMs: 2 });
    let from = textTurn(client, 'hi');
    let done = await client.waitFor('response.done', () => true, 10000, from);
    assert.equal((done.response as { status: string }).status, 'completed');
    const text = client.events.slice(from).filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    assert.equal(text, 'Hello from the engine.');

    engine.script('chat', { kind: 'stream', tokens: ['Half', ' an', ' answer', ' then', ' gone'], tokenDelayMs: 2, ending: 'destroy', endAfter: 2 });
    from = textTurn(client, 'again');
    const error = await client.waitFor('error', () => true, 10000, from);
    assert.equal((error.error as { code: string }).code, 'engine_disconnected');
    done = await client.waitFor('response.done', () => true, 10000, from);
    const failed = done.response as { status: string; status_details: { error: { code: string } }; output: { content: { text: string }[] }[] };
    assert.equal(failed.status, 'failed');
    assert.equal(failed.status_details.error.code, 'engine_disconnected');
    assert.equal(failed.output[0]?.content[0]?.text, 'Half an', 'the partial answer is kept, not replayed');

    engine.script('chat', { kind: 'stream', tokens: ['Back', ' again.'], tokenDelayMs: 2 });
    from = textTurn(client, 'and now?');
    done = await client.waitFor('response.done', () => true, 10000, from);
    assert.equal((done.response as { status: string }).status, 'completed');
    assert.equal(client.closed, null);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
    await engine.close();
  }
});

test('remote engine unreachable at start: the server starts, /readyz names the roles that are down', async () => {
  const engine = await startFakeEngine();
  const url = engine.url;
  await engine.close();
  const server = await startServer({ models: { chat: { kind: 'remote', generator: { baseUrl: url, model: 'x', connectTimeoutMs: 500 } }, tts: null } });
  try {
    type Ready = { capabilities: Record<string, { available: boolean; reason?: string }> };
    let body = (await (await fetch(`${server.url}/readyz`)).json()) as Ready;
    for (let i = 0; i < 50; i++) {
      body = (await (await fetch(`${server.url}/readyz`)).json()) as Ready;
      if (!body.capabilities.generator!.available) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body.capabilities.generator!.available, false);
    assert.match(body.capabilities.generator!.reason ?? '', /\S/);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
  } finally {
    await server.stop();
  }
});

test('remote engine as monitor with turns.endOfTurn monitor: its "4" holds the first half of a sentence, the halves merge, one answer streams', async (t) => {
  if (!espeakAvailable()) return t.skip('espeak-ng not installed (it speaks the test sentence)');
  const engine = await startFakeEngine();
  engine.script('models', { kind: 'models', ids: ['duet-chat'] });
  const server = await startServer({ models: { chat: { kind: 'remote', generator: endpointFor(engine, { model: 'duet-chat' }) }, tts: null }, turns: { endOfTurn: ['monitor', 'silence'] } });
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    client.send({ type: 'session.update', session: { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
    await client.waitFor('session.updated');
    const decide = (first: string) => ({ kind: 'reply' as const, content: first, logprobs: [first, '1', '2', '3', '4'].filter((v, i, a) => a.indexOf(v) === i).map((token, i) => ({ token, logprob: -0.2 - 2 * i })) });
    engine.script('chat', decide('4'), decide('1'), { kind: 'stream', tokens: ['About', ' 384,000', ' km.'], tokenDelayMs: 2 });
    await streamAudio(client, concat(silence(300), speak('I would like to know')!, silence(900), speak('how far away the moon is.')!, silence(1200)), 2);
    const done = await client.waitFor('response.done', () => true, 15000);
    assert.equal((done.response as { status: string }).status, 'completed');
    const held = client.events.find((e) => e.type === 'duet.turn.held');
    assert.equal(held?.source, 'monitor');
    const states = client.events.filter((e) => e.type === 'duet.monitor.state').map((e) => [e.state, e.action]);
    assert.deepEqual(states, [['<4>', 'wait'], ['<1>', 'answer']]);
    assert.deepEqual(client.events.find((e) => e.type === 'duet.turn.merged')?.merged_item_ids, [held!.item_id]);
    assert.equal(client.types().filter((ty) => ty === 'response.created').length, 1);
    assert.equal(client.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''), 'About 384,000 km.');
    // Both monitor requests defined the fourth string; the answer request is the third.
    const requests = engine.requestsFor('chat');
    assert.equal(requests.length, 3);
    for (const r of requests.slice(0, 2)) assert.match(r.json.messages[0].content, /^4 if the speaker stopped in the middle of a sentence/m);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
    await engine.close();
  }
});

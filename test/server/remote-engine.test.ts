import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { endpointFor, startFakeEngine } from '../support/fake-engine.js';

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

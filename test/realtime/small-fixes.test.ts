import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { FastifyRequest } from 'fastify';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { withSession } from '../support/with-session.js';
import { onSocketError } from '../../server/realtime/route.js';
import { scriptedModelSet } from '../../models/scripted/index.js';

const KEY = 'test-key-0123456789';

function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['realtime'], { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

test('auth: the Authorization scheme is case-insensitive (RFC 7235)', async () => {
  const server = await startServer({ auth: { apiKeys: [KEY] } });
  try {
    assert.equal(await upgradeStatus(server.wsUrl, { Authorization: `bearer ${KEY}` }), 101);
    assert.equal(await upgradeStatus(server.wsUrl, { Authorization: `BEARER ${KEY}` }), 101);
    assert.equal(await upgradeStatus(server.wsUrl, { Authorization: 'bearer wrong-key-000000' }), 401);
    assert.equal(await upgradeStatus(server.wsUrl, { Authorization: `Basic ${KEY}` }), 401);
  } finally {
    await server.stop();
  }
});

test('session.model over 128 characters is refused with invalid_value and not echoed', async () => {
  await withSession({}, async (client) => {
    client.send({ type: 'session.update', event_id: 'long', session: { model: 'm'.repeat(129) } });
    const err = await client.errorFor('long');
    assert.deepEqual([(err.error as { code: string }).code, (err.error as { param: string }).param], ['invalid_value', 'session.model']);
    client.send({ type: 'session.update', session: { model: 'm'.repeat(128) } });
    const updated = await client.waitFor('session.updated');
    assert.equal((updated.session as { model: string }).model.length, 128);
  });
});

test('a client frame error is logged once at warn, without a stack, and the socket is left to its close handshake', () => {
  const calls: { level: string; obj: Record<string, unknown> }[] = [];
  const log = { warn: (obj: Record<string, unknown>) => calls.push({ level: 'warn', obj }), error: (obj: Record<string, unknown>) => calls.push({ level: 'error', obj }) };
  let terminated = 0;
  const socket = { terminate: () => (terminated += 1) } as unknown as WebSocket;
  const frameError = Object.assign(new RangeError('Max payload size exceeded'), { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
  onSocketError.call(null, frameError, socket, { log } as unknown as FastifyRequest);
  assert.deepEqual(calls, [{ level: 'warn', obj: { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', reason: 'Max payload size exceeded' } }]);
  assert.equal(terminated, 0);
  onSocketError.call(null, new Error('handler bug'), socket, { log } as unknown as FastifyRequest);
  assert.equal(calls[1]!.level, 'error');
  assert.equal(terminated, 1);
});

type Wire = Record<string, unknown> & { type: string };

async function betaClient(url: string): Promise<{ ws: WebSocket; events: Wire[]; next: (type: string) => Promise<Wire> }> {
  const ws = new WebSocket(url, ['realtime'], { headers: { 'OpenAI-Beta': 'realtime=v1' } });
  const events: Wire[] = [];
  const waiters: { type: string; resolve: (e: Wire) => void }[] = [];
  ws.on('message', (data) => {
    const e = JSON.parse(data.toString()) as Wire;
    events.push(e);
    for (const w of waiters.splice(0)) (w.type === e.type ? w.resolve(e) : waiters.push(w));
  });
  await new Promise((resolve) => ws.once('open', resolve));
  const next = (type: string) => {
    const seen = events.find((e) => e.type === type);
    return seen ? Promise.resolve(seen) : new Promise<Wire>((resolve) => waiters.push({ type, resolve }));
  };
  return { ws, events, next };
}

test('beta clients get beta payloads: the flat session, text/audio content parts, response modalities', async () => {
  const models = scriptedModelSet({ replies: [{ text: 'Hello there.' }], tokenDelayMs: 0, decisions: ['<1>'], rules: [], decisionDelayMs: 0 });
  const server = await startServer({}, { models });
  const client = await betaClient(server.wsUrl);
  try {
    const created = (await client.next('session.created')).session as Record<string, unknown>;
    assert.equal(created.audio, undefined, 'no GA audio block');
    assert.equal(created.output_modalities, undefined);
    assert.deepEqual(created.modalities, ['audio', 'text']);
    assert.equal(created.input_audio_format, 'pcm16');
    assert.equal(created.output_audio_format, 'pcm16');
    assert.ok('turn_detection' in created && 'max_response_output_tokens' in created && 'voice' in created);
    client.ws.send(JSON.stringify({ type: 'session.update', session: { input_audio_format: 'g711_ulaw' } }));
    assert.equal(((await client.next('session.updated')).session as Record<string, unknown>).input_audio_format, 'g711_ulaw');
    client.ws.send(JSON.stringify({ type: 'response.create', response: { modalities: ['text'] } }));
    const done = (await client.next('response.done')).response as { modalities: string[]; output_modalities?: unknown; output: { content: { type: string }[] }[] };
    assert.deepEqual(done.modalities, ['text']);
    assert.equal(done.output_modalities, undefined);
    assert.equal(done.output[0]!.content[0]!.type, 'text');
    assert.equal(((await client.next('response.content_part.added')).part as { type: string }).type, 'text');
    assert.equal(((await client.next('response.output_item.done')).item as { content: { type: string }[] }).content[0]!.type, 'text');
    assert.ok(client.events.some((e) => e.type === 'conversation.item.created'));
    assert.ok(client.events.some((e) => e.type === 'response.text.delta'));
    const parts = client.events.flatMap((e) => JSON.stringify(e).match(/"type":"output_(text|audio)"/g) ?? []);
    assert.deepEqual(parts, [], 'no GA part type reaches a beta client');
  } finally {
    client.ws.close();
    await server.stop();
  }
});

test('duet_active_responses counts responses between response.created and response.done, and forgets those of closed sessions', async () => {
  const models = scriptedModelSet({ replies: [{ text: 'word '.repeat(200) }], tokenDelayMs: 50, decisions: ['<1>'], rules: [], decisionDelayMs: 0 });
  const server = await startServer({}, { models });
  const gauge = async () => Number((await server.metrics.registry.getSingleMetricAsString('duet_active_responses')).match(/^duet_active_responses (\d+)/m)?.[1]);
  try {
    const a = await TestClient.connect(server.wsUrl);
    const b = await TestClient.connect(server.wsUrl);
    for (const c of [a, b]) {
      await c.waitFor('session.created');
      c.send({ type: 'response.create', response: { output_modalities: ['text'] } });
      await c.waitFor('response.created');
    }
    assert.equal(await gauge(), 2);
    a.send({ type: 'response.cancel' });
    await a.waitFor('response.done');
    assert.equal(await gauge(), 1);
    b.close();
    await b.waitClosed();
    while (server.registry.size > 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await gauge(), 0);
    a.close();
  } finally {
    await server.stop();
  }
});

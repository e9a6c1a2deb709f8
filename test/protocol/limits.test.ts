import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { scriptedModelSet } from '../../models/scripted/index.js';

const KEY = 'test-key-0123456789';

function upgradeStatus(url: string, options: { headers?: Record<string, string>; protocols?: string[] }): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

test('auth: a missing or wrong key gets HTTP 401 before any upgrade; Bearer and the subprotocol key work', async () => {
  const server = await startServer({ auth: { apiKeys: [KEY] } });
  try {
    assert.equal(await upgradeStatus(server.wsUrl, {}), 401);
    assert.equal(await upgradeStatus(server.wsUrl, { headers: { Authorization: 'Bearer wrong-key-000000' } }), 401);
    assert.equal(await upgradeStatus(server.wsUrl, { protocols: ['realtime', 'openai-insecure-api-key.nope'] }), 401);
    assert.equal(await upgradeStatus(server.wsUrl, { headers: { Authorization: `Bearer ${KEY}` } }), 101);
    const viaProtocol = await TestClient.connect(server.wsUrl, { protocols: ['realtime', `openai-insecure-api-key.${KEY}`] });
    assert.equal(viaProtocol.ws.protocol, 'realtime', 'realtime subprotocol echoed, never the key');
    await viaProtocol.waitFor('session.created');
    viaProtocol.close();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /duet_sessions_rejected_total\{reason="unauthorized"\} 3/);
  } finally {
    await server.stop();
  }
});

test('capacity: past maxSessions a new session gets server_busy and is closed; a freed slot is reusable', async () => {
  // Model-free sessions admitted, so readiness turns on capacity alone.
  const server = await startServer({ limits: { maxSessions: 2 }, server: { readyWithoutModels: true } });
  try {
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const a = await TestClient.connect(server.wsUrl);
    const b = await TestClient.connect(server.wsUrl);
    await a.waitFor('session.created');
    await b.waitFor('session.created');
    const c = await TestClient.connect(server.wsUrl);
    const err = await c.waitFor('error');
    assert.equal((err.error as { code: string }).code, 'server_busy');
    assert.equal((await c.waitClosed()).code, 1013);
    const full = await fetch(`${server.url}/readyz`);
    assert.equal(full.status, 503);
    const ready = (await full.json()) as { ready: boolean; accepting_sessions: boolean };
    assert.equal(ready.ready, false);
    assert.equal(ready.accepting_sessions, false);
    a.close();
    await a.waitClosed();
    await waitUntil(() => server.registry.size === 1);
    const d = await TestClient.connect(server.wsUrl);
    await d.waitFor('session.created');
    b.close();
    d.close();
  } finally {
    await server.stop();
  }
});

test('a client that stops reading is closed with slow_consumer and server memory stays bounded', async () => {
  const models = scriptedModelSet({ replies: [{ text: 'word '.repeat(5000) }], tokenDelayMs: 0, decisions: ['<1>'], rules: [], decisionDelayMs: 0 });
  const server = await startServer({ limits: { sendQueueBytes: 320 * 1024, maxMessageBytes: 128 * 1024 } }, { models });
  try {
    const client = await TestClient.connect(server.wsUrl);
    await client.waitFor('session.created');
    // Stop reading: pause the underlying TCP socket so the kernel buffers fill up.
    const rawSocket = (client.ws as unknown as { _socket: import('node:net').Socket })._socket;
    for (let i = 0; i < 20; i++) {
      client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(100000) }] } });
    }
    rawSocket.pause();
    client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const before = process.memoryUsage().heapUsed;
    await waitUntil(() => server.registry.size === 0, 20000);
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew ${grown} bytes`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /duet_errors_total\{code="slow_consumer"\} 1/);
    assert.match(metrics, /duet_active_sessions 0/);
    assert.equal(models.instances[0].active + models.instances[1].active, 0, 'generation aborted with the session');
  } finally {
    await server.stop();
  }
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { startServer } from '../support/server.js';
import { scriptedModelSet } from '../../models/scripted/index.js';

/** A raw ws client: every text event it received, and the close code/reason it saw. */
async function rawClient(url: string): Promise<{ ws: WebSocket; events: { type: string; error?: { code: string } }[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, ['realtime']);
  const events: { type: string; error?: { code: string } }[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) events.push(JSON.parse(data.toString()) as { type: string });
  });
  ws.on('error', () => {}); // a bad close is asserted through the close code, not thrown
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, events, closed };
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a slow consumer gets the slow_consumer error and a 1008 close frame once it reads again', async () => {
  const models = scriptedModelSet({ replies: [{ text: 'word '.repeat(5000) }], tokenDelayMs: 0, decisions: ['<1>'], rules: [], decisionDelayMs: 0 });
  const server = await startServer({ limits: { sendQueueBytes: 512 * 1024, maxMessageBytes: 128 * 1024 } }, { models });
  try {
    const client = await rawClient(server.wsUrl);
    const rawSocket = (client.ws as unknown as { _socket: Socket })._socket;
    rawSocket.pause();
    for (let i = 0; i < 40; i++) {
      client.ws.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(100000) }] } }));
    }
    client.ws.send(JSON.stringify({ type: 'response.create', response: { output_modalities: ['text'] } }));
    await waitUntil(() => server.registry.size === 0);
    rawSocket.resume();
    const { code } = await client.closed;
    assert.equal(code, 1008);
    assert.equal(client.events.at(-1)?.error?.code, 'slow_consumer', 'the last event before the close frame names the cause');
  } finally {
    await server.stop();
  }
});

/**
 * Stops reading and has the server queue megabytes for the client (item echoes) before the bad
 * frame: a close frame must then wait behind them, which a terminate() would drop.
 */
async function backlog(server: Awaited<ReturnType<typeof startServer>>, client: Awaited<ReturnType<typeof rawClient>>): Promise<Socket> {
  await waitUntil(() => client.events.some((e) => e.type === 'session.created'));
  const rawSocket = (client.ws as unknown as { _socket: Socket })._socket;
  rawSocket.pause();
  for (let i = 0; i < 40; i++) {
    client.ws.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(100000) }] } }));
  }
  await waitUntil(async () => /duet_events_out_total\{type="conversation.item.done"\} 40\b/.test(await server.metrics.registry.metrics()));
  return rawSocket;
}

test('a frame over twice maxMessageBytes closes the socket with 1009, behind what the client has yet to read', async () => {
  const server = await startServer({ limits: { maxMessageBytes: 1 << 20, sendQueueBytes: 64 << 20 } });
  try {
    const client = await rawClient(server.wsUrl);
    const rawSocket = await backlog(server, client);
    client.ws.send(JSON.stringify({ type: 'session.update', session: { instructions: 'x'.repeat(3 << 20) } }));
    await waitUntil(() => server.registry.size === 0);
    rawSocket.resume();
    const { code } = await client.closed;
    assert.equal(code, 1009);
    assert.equal(client.events.filter((e) => e.type === 'conversation.item.done').length, 40, 'everything sent before the close arrived');
  } finally {
    await server.stop();
  }
});

test('a text frame that is not UTF-8 closes the socket with 1007, behind what the client has yet to read', async () => {
  const server = await startServer({ limits: { sendQueueBytes: 64 << 20 } });
  try {
    const client = await rawClient(server.wsUrl);
    const rawSocket = await backlog(server, client);
    client.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    await waitUntil(() => server.registry.size === 0);
    rawSocket.resume();
    const { code } = await client.closed;
    assert.equal(code, 1007);
  } finally {
    await server.stop();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { FastifyRequest } from 'fastify';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { onSocketError } from '../../server/realtime/route.js';

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
  const server = await startServer();
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    client.send({ type: 'session.update', event_id: 'long', session: { model: 'm'.repeat(129) } });
    const err = await client.errorFor('long');
    assert.deepEqual([(err.error as { code: string }).code, (err.error as { param: string }).param], ['invalid_value', 'session.model']);
    client.send({ type: 'session.update', session: { model: 'm'.repeat(128) } });
    const updated = await client.waitFor('session.updated');
    assert.equal((updated.session as { model: string }).model.length, 128);
  } finally {
    client.close();
    await server.stop();
  }
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { startServer } from '../support/server.js';
import { scriptedModelSet } from '../../models/scripted/index.js';

/** A self-signed certificate for 127.0.0.1, made for this test with openssl. */
function makeCertificate(): { dir: string; certPath: string; keyPath: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'duet-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return { dir, certPath, keyPath };
}

type AnyEvent = { type: string; [k: string]: unknown };

test('the official openai SDK realtime client talks to Duet over wss: session.update, a text turn, response.cancel', async (t) => {
  const cert = makeCertificate();
  if (!cert) return t.skip('openssl is not installed: cannot make a test certificate');
  const KEY = 'sk-duet-test-key-123';
  const models = scriptedModelSet({
    replies: [{ text: 'Hello from Duet, the duplex assistant.' }, { text: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen' }],
    tokenDelayMs: 15,
    decisions: ['<1>'],
    rules: [],
    decisionDelayMs: 0,
  });
  const server = await startServer({ server: { tls: { certPath: cert.certPath, keyPath: cert.keyPath } }, auth: { apiKeys: [KEY] } }, { models });
  const client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'duet', options: { ca: readFileSync(cert.certPath) } }, client);
  const events: AnyEvent[] = [];
  const errors: unknown[] = [];
  rt.on('event', (e) => void events.push(e as unknown as AnyEvent));
  rt.on('error', (e: unknown) => errors.push(e));
  const waitFor = (type: string, from = 0): Promise<AnyEvent> =>
    new Promise((resolve, reject) => {
      const found = events.slice(from).find((e) => e.type === type);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no ${type}; got ${events.map((e) => e.type).join(',')}`)), 10000);
      const listener = (raw: unknown) => {
        const e = raw as AnyEvent;
        if (e.type !== type) return;
        clearTimeout(timer);
        rt.off('event', listener);
        resolve(e);
      };
      rt.on('event', listener);
    });
  try {
    assert.ok(rt.url.toString().startsWith('wss://'), 'the SDK uses wss');
    await new Promise<void>((resolve, reject) => {
      rt.socket.once('open', () => resolve());
      rt.socket.once('error', reject);
    });
    await waitFor('session.created');
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], instructions: 'Be brief.' } });
    const updated = await waitFor('session.updated');
    assert.deepEqual((updated.session as { output_modalities: string[] }).output_modalities, ['text']);

    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello.' }] } });
    rt.send({ type: 'response.create' });
    const done = await waitFor('response.done');
    const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta as string);
    assert.equal(deltas.join(''), 'Hello from Duet, the duplex assistant.');
    assert.equal((done.response as { status: string }).status, 'completed');
    const limits = await waitFor('rate_limits.updated');
    assert.deepEqual((limits.rate_limits as { name: string }[]).map((l) => l.name), ['events', 'input_bytes', 'input_audio_seconds']);

    const from = events.length;
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Count slowly.' }] } });
    rt.send({ type: 'response.create' });
    const firstDelta = await waitFor('response.output_text.delta', from);
    assert.ok(firstDelta);
    rt.send({ type: 'response.cancel' });
    const cancelled = await waitFor('response.done', from);
    const response = cancelled.response as { status: string; status_details: { reason: string } };
    assert.equal(response.status, 'cancelled');
    assert.equal(response.status_details.reason, 'client_cancelled');
    const sent = events.slice(from).filter((e) => e.type === 'response.output_text.delta').length;
    assert.ok(sent < 16, `cancelled before the end (${sent} of 16 deltas)`);
    assert.deepEqual(errors, []);
  } finally {
    rt.close();
    await server.stop();
    rmSync(cert.dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, scriptFile } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { logCapabilityReport } from '../../server/startup-report.js';

interface Ready {
  ready: boolean;
  reason?: string;
  accepting_sessions: boolean;
  can_answer: boolean;
  capabilities: Record<string, { available: boolean; backend?: string; reason?: string; action?: string }>;
  missing: { capability: string; reason: string; action?: string }[];
}

async function readyz(url: string): Promise<{ status: number; body: Ready }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready };
}

test('no model can answer: /readyz is 503 (a balancer must not send users) but sessions are still accepted, and every missing capability says what to do', async () => {
  const server = await startServer({ models: { chat: null, asr: null } });
  try {
    const { status, body } = await readyz(server.url);
    assert.equal(status, 503);
    assert.equal(body.ready, false);
    assert.equal(body.accepting_sessions, true);
    assert.equal(body.can_answer, false);
    assert.match(body.reason ?? '', /readyWithoutModels/);
    assert.deepEqual(Object.keys(body.capabilities).sort(), ['asr', 'echo_canceller', 'generator', 'monitor', 'tts', 'vad', 'vision']);
    // The canceller reports what backs it: SpeexDSP where libspeexdsp is installed, else the onset gate alone.
    const echo = body.capabilities.echo_canceller!;
    if (echo.available) assert.match((echo as { backend?: string }).backend ?? '', /libspeexdsp/);
    else assert.match(echo.action ?? '', /libspeexdsp1/);
    assert.equal(body.capabilities.vad!.available, true);
    assert.match(body.capabilities.vad!.backend ?? '', /silero/);
    for (const m of body.missing) assert.match(m.action ?? '', /\S/, `${m.capability} has an action`);
    assert.match(body.capabilities.generator!.action ?? '', /set models\.chat/);
    // Accepting sessions: a model-free session opens (and is told what is missing).
    const client = await TestClient.connect(server.wsUrl);
    const created = await client.waitFor('session.created');
    const caps = (created.session as { duet: { capabilities: Record<string, { available: boolean }> } }).duet.capabilities;
    assert.equal(caps.generator!.available, false);
    client.close();
  } finally {
    await server.stop();
  }
});

test('server.readyWithoutModels admits model-free sessions: /readyz 200 while can_answer stays false', async () => {
  const server = await startServer({ models: { chat: null, asr: null }, server: { readyWithoutModels: true } });
  try {
    const { status, body } = await readyz(server.url);
    assert.equal(status, 200);
    assert.equal(body.ready, true);
    assert.equal(body.can_answer, false);
    assert.equal(body.reason, undefined);
  } finally {
    await server.stop();
  }
});

test('a generator that can answer makes the server ready; the start-up report logs one line per capability', async () => {
  const script = scriptFile({ replies: [{ text: 'hi' }], decisions: ['<1>'] });
  const server = await startServer({ models: { chat: { kind: 'scripted', script }, asr: null } });
  try {
    const { status, body } = await readyz(server.url);
    assert.equal(status, 200);
    assert.equal(body.can_answer, true);
    assert.equal(body.capabilities.generator!.available, true);
    assert.equal(body.capabilities.generator!.action, undefined);
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    logCapabilityReport({ info: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) }, server.health);
    assert.match(lines[0]!.msg, /^start-up report: answers: yes; sessions accepted: yes; \/readyz 200$/);
    const rows = lines.slice(1).map((l) => l.obj.capability);
    assert.deepEqual(rows, ['generator', 'monitor', 'asr', 'tts', 'vision', 'echo_canceller', 'vad']);
    assert.match(lines.find((l) => l.obj.capability === 'generator')!.msg, /generator\s+yes\s+scripted/);
    assert.match(lines.find((l) => l.obj.capability === 'asr')!.msg, /asr\s+no\s+.* -> set models\.asr/);
  } finally {
    await server.stop();
  }
});

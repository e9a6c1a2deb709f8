import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';

test('events past limits.maxEventsPerSecond are dropped with rate_limited, told once a second; the session goes on', async () => {
  const server = await startServer({ limits: { maxEventsPerSecond: 10 } });
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    // 10/s over a 5 s window allows 50 events; send 80 at once.
    for (let i = 0; i < 80; i++) client.send({ type: 'input_audio_buffer.clear', event_id: `c${i}` });
    const isLimited = (e: { type: string; error?: unknown }): boolean => e.type === 'error' && (e.error as { code: string }).code === 'rate_limited';
    await client.waitFor('error', isLimited);
    // The first refusal is told at once, the rest counted and told in one error when the second is over.
    const summary = await client.waitFor('error', (e) => isLimited(e) && /more messages? dropped/.test((e.error as { message: string }).message));
    const cleared = client.events.filter((e) => e.type === 'input_audio_buffer.cleared').length;
    const limited = client.events.filter(isLimited).length;
    assert.equal(limited, 2, 'one error at the first refusal, one for the rest');
    const more = Number(/^(\d+) more/.exec((summary.error as { message: string }).message)?.[1]);
    assert.equal(cleared + 1 + more, 80, 'every event handled or counted as dropped');
    assert.ok(cleared <= 50 && cleared >= 45, `${cleared} handled`);
    assert.equal(client.closed, null);
  } finally {
    client.close();
    await server.stop();
  }
});

test('input audio faster than limits.maxInputAudioSecondsPerSecond is dropped with rate_limited', async () => {
  const server = await startServer({ limits: { maxInputAudioSecondsPerSecond: 1 } });
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    client.send({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: null } } } });
    await client.waitFor('session.updated');
    // 1x real time over 5 s allows 5 s of audio; send 8 s at once (1 s per message).
    const second = Buffer.alloc(32000).toString('base64');
    for (let i = 0; i < 8; i++) client.send({ type: 'input_audio_buffer.append', audio: second, event_id: `a${i}` });
    const err = await client.waitFor('error');
    assert.equal((err.error as { code: string; event_id: string }).code, 'rate_limited');
    assert.equal((err.error as { event_id: string }).event_id, 'a5', 'the sixth second is the first refused');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /duet_audio_in_seconds_total 5\b/);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a session idle past limits.idleTimeoutMs gets idle_timeout and is closed', async () => {
  const server = await startServer({ limits: { idleTimeoutMs: 300 } });
  try {
    const client = await TestClient.connect(server.wsUrl);
    await client.waitFor('session.created');
    const err = await client.waitFor('error', () => true, 3000);
    assert.equal((err.error as { code: string }).code, 'idle_timeout');
    assert.equal((await client.waitClosed()).code, 1000);
    assert.equal(server.registry.size, 0);
  } finally {
    await server.stop();
  }
});

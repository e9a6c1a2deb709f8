import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSession } from '../support/with-session.js';
import { MAX_JSON_DEPTH, peekFrame } from '../../server/realtime/inbound.js';

const code = (e: Record<string, unknown>) => (e.error as { code: string }).code;
const peek = (json: string, maxStructure = 65536) => peekFrame(Buffer.from(json), maxStructure);

test('peekFrame: finds the top-level type wherever it is, never a nested one, across escaped quotes', () => {
  assert.equal(peek('{"type":"session.update","session":{}}').type, 'session.update');
  assert.equal(peek('{"item":{"type":"message","content":[{"type":"input_text","text":"a \\"type\\":\\"x\\" b"}]},"type":"conversation.item.create"}').type, 'conversation.item.create');
  assert.equal(peek('{ "event_id" : "e\\\\", "type" : "response.create" }').type, 'response.create');
  assert.equal(peek('{"session":{"type":"realtime"}}').type, null);
  assert.equal(peek('{"item":{"content":[{"type":"input_image"}]}}').media, true);
  assert.equal(peek('{"text":"input_image is just words"}').media, false);
});

test('peekFrame: refuses deep nesting and bulky structure before parsing, and scans strings whole', () => {
  const deep = `{"type":"session.update","session":{"tracing":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}}`;
  assert.match(peek(deep).refusal ?? '', /nested deeper than 32/);
  const justDeepEnough = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
  assert.equal(peek(justDeepEnough).refusal, null);
  assert.match(peek(`{"type":"x","pad":[${'1,'.repeat(40000)}1]}`).refusal ?? '', /structure/);
  // Megabytes inside one string are not structure.
  assert.equal(peek(`{"type":"input_audio_buffer.append","audio":"${'A'.repeat(4 << 20)}"}`).refusal, null);
});

test('a control event over limits.maxControlMessageBytes gets message_too_large before parsing; media events may be megabytes', async () => {
  await withSession({}, async (client) => {
    client.send({ type: 'session.update', event_id: 'big', session: { instructions: 'x'.repeat(100_000) } });
    const err = await client.waitFor('error');
    assert.equal(code(err), 'message_too_large');
    assert.match((err.error as { message: string }).message, /limits\.maxControlMessageBytes \(65536\)/);
    // A text-only item is held to limits.maxTextItemBytes (1 MiB)...
    const parts = Array.from({ length: 12 }, () => ({ type: 'input_text', text: 'y'.repeat(100_000) }));
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: parts } });
    await client.waitFor('error', (e) => /limits\.maxTextItemBytes/.test((e.error as { message: string }).message));
    // ...while audio is held to limits.maxMessageBytes only (an item with an image: held-bytes.test.ts).
    client.send({ type: 'session.update', session: { audio: { input: { turn_detection: null } } } });
    await client.waitFor('session.updated');
    client.send({ type: 'input_audio_buffer.append', event_id: 'audio', audio: Buffer.alloc(512 << 10).toString('base64') });
    client.send({ type: 'input_audio_buffer.commit', event_id: 'commit' });
    await client.waitFor('input_audio_buffer.committed');
    assert.equal(client.events.filter((e) => e.type === 'error').length, 2);
  });
});

test('deeply nested JSON gets message_too_complex; the session goes on', async () => {
  await withSession({}, async (client) => {
    client.ws.send(`{"type":"session.update","session":{"tracing":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`);
    assert.equal(code(await client.waitFor('error')), 'message_too_complex');
    client.send({ type: 'session.update', session: { instructions: 'still here' } });
    await client.waitFor('session.updated');
  });
});

test('bytes past limits.maxInputBytesPerSecond are dropped with rate_limited (binary frames too)', async () => {
  await withSession({ limits: { maxInputBytesPerSecond: 65536 } }, async (client) => {
    client.send({ type: 'session.update', session: { audio: { input: { turn_detection: null } } } });
    await client.waitFor('session.updated');
    // 64 KiB/s over a 5 s window allows 327,680 bytes: the sixth 60 kB frame is one too many.
    for (let i = 0; i < 6; i++) client.ws.send(Buffer.alloc(60_000), { binary: true });
    const err = await client.waitFor('error');
    assert.equal(code(err), 'rate_limited');
    assert.match((err.error as { message: string }).message, /bytes per second/);
    client.send({ type: 'input_audio_buffer.commit' });
    await client.waitFor('input_audio_buffer.committed');
    assert.equal(client.events.filter((e) => e.type === 'error').length, 1);
  });
});


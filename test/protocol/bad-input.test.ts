import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { TestClient } from '../support/client.js';

let server: TestServer;
before(async () => {
  server = await startServer({ limits: { maxMessageBytes: 4096 } });
});
after(() => server.stop());

/** Text frames that must each produce one `error` with this code, socket open. */
const TEXT_CORPUS: { name: string; frame: string; code: string; param?: string; eventId?: string }[] = [
  { name: 'not JSON', frame: '{"type": "session.update",', code: 'invalid_json' },
  { name: 'JSON array', frame: '[1,2]', code: 'invalid_event' },
  { name: 'JSON string', frame: '"hello"', code: 'invalid_event' },
  { name: 'null', frame: 'null', code: 'invalid_event' },
  { name: 'no type', frame: '{"event_id":"e-notype"}', code: 'invalid_event', eventId: 'e-notype' },
  { name: 'numeric type', frame: '{"type":5,"event_id":"e-num"}', code: 'invalid_event', eventId: 'e-num' },
  { name: 'unknown type', frame: '{"type":"response.explode","event_id":"e-unknown"}', code: 'unknown_event_type', eventId: 'e-unknown' },
  { name: 'missing field', frame: '{"type":"conversation.item.truncate","event_id":"e-miss","item_id":"x","content_index":0}', code: 'invalid_value', param: 'audio_end_ms', eventId: 'e-miss' },
  { name: 'wrong-typed field', frame: '{"type":"input_audio_buffer.append","event_id":"e-wt","audio":42}', code: 'invalid_value', param: 'audio', eventId: 'e-wt' },
  { name: 'unknown session key', frame: '{"type":"session.update","event_id":"e-key","session":{"colour":"red"}}', code: 'invalid_value', eventId: 'e-key' },
  { name: 'oversized message', frame: JSON.stringify({ type: 'input_audio_buffer.append', audio: 'A'.repeat(6000) }), code: 'message_too_large' },
  { name: 'bad base64', frame: '{"type":"input_audio_buffer.append","event_id":"e-b64","audio":"@@@not base64@@@"}', code: 'invalid_base64', param: 'audio', eventId: 'e-b64' },
  { name: 'odd PCM byte count', frame: '{"type":"input_audio_buffer.append","event_id":"e-odd","audio":"AAAA"}', code: 'invalid_audio', eventId: 'e-odd' },
  { name: 'commit with nothing buffered', frame: '{"type":"input_audio_buffer.commit","event_id":"e-commit"}', code: 'input_audio_buffer_commit_empty', eventId: 'e-commit' },
  { name: 'truncate unknown item', frame: '{"type":"conversation.item.truncate","event_id":"e-trunc","item_id":"nope","content_index":0,"audio_end_ms":5}', code: 'item_not_found', eventId: 'e-trunc' },
  { name: 'delete unknown item', frame: '{"type":"conversation.item.delete","event_id":"e-del","item_id":"nope"}', code: 'item_not_found', eventId: 'e-del' },
  { name: 'cancel with no response', frame: '{"type":"response.cancel","event_id":"e-cancel"}', code: 'response_cancel_not_active', eventId: 'e-cancel' },
  { name: 'response with no model', frame: '{"type":"response.create","event_id":"e-resp"}', code: 'model_unavailable', eventId: 'e-resp' },
  { name: 'corrupt image', frame: '{"type":"duet.input_image.append","event_id":"e-img","image":"data:image/png;base64,iVBORw0KGgoAAAA="}', code: 'invalid_image', eventId: 'e-img' },
  { name: 'unsupported voice', frame: '{"type":"session.update","event_id":"e-voice","session":{"audio":{"output":{"voice":"no-such-voice"}}}}', code: 'unsupported_value', eventId: 'e-voice' },
];

test('each bad input gets an error event with a stable code and the offending event_id; the socket stays open; another session is unaffected', async () => {
  const victim = await TestClient.connect(server.wsUrl);
  const bystander = await TestClient.connect(server.wsUrl);
  await victim.waitFor('session.created');
  await bystander.waitFor('session.created');
  for (const c of TEXT_CORPUS) {
    const from = victim.events.length;
    victim.ws.send(c.frame);
    const err = await victim.waitFor('error', () => true, 5000, from);
    const e = err.error as { code: string; param: string | null; event_id: string | null };
    assert.equal(e.code, c.code, c.name);
    if (c.param) assert.equal(e.param, c.param, `${c.name} param`);
    assert.equal(e.event_id, c.eventId ?? null, `${c.name} event_id`);
    // Still open and serving: a valid event gets its answer.
    const probe = victim.events.length;
    victim.send({ type: 'input_audio_buffer.clear' });
    await victim.waitFor('input_audio_buffer.cleared', () => true, 5000, probe);
  }
  // Binary garbage: 3 bytes is an odd PCM16 count.
  const from = victim.events.length;
  victim.ws.send(Buffer.from([1, 2, 3]));
  const binErr = await victim.waitFor('error', () => true, 5000, from);
  assert.equal((binErr.error as { code: string }).code, 'invalid_audio');
  // Oversized binary frame.
  const from2 = victim.events.length;
  victim.ws.send(Buffer.alloc(5000));
  assert.equal(((await victim.waitFor('error', () => true, 5000, from2)).error as { code: string }).code, 'message_too_large');

  assert.equal(victim.closed, null, 'victim socket still open');
  bystander.send({ type: 'session.update', session: { instructions: 'still fine' } });
  const updated = await bystander.waitFor('session.updated');
  assert.equal((updated.session as { instructions: string }).instructions, 'still fine');
  assert.equal(bystander.events.filter((e) => e.type === 'error').length, 0, 'bystander saw no errors');
  assert.deepEqual(victim.violations, []);
  assert.deepEqual(bystander.violations, []);
  victim.close();
  bystander.close();
});

test('a message past twice the limit closes the socket with 1009; the server goes on', async () => {
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  client.ws.send('x'.repeat(4096 * 2 + 10));
  const closed = await client.waitClosed();
  assert.equal(closed.code, 1009);
  const next = await TestClient.connect(server.wsUrl);
  await next.waitFor('session.created');
  next.close();
});

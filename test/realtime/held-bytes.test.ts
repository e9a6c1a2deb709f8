import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { withSession } from '../support/with-session.js';
import { Conversation, HeldBytes, type StoredItem } from '../../server/conversation/conversation.js';
import { resolveConfig } from '../../server/config/load.js';
import { noiseRgb } from '../vision/images.js';

const code = (e: Record<string, unknown>) => (e.error as { code: string }).code;

function textItem(id: string, chars: number, parts = 1): Record<string, unknown> {
  const content = Array.from({ length: parts }, () => ({ type: 'input_text', text: 'x'.repeat(chars) }));
  return { type: 'conversation.item.create', event_id: `ev_${id}`, item: { id, type: 'message', role: 'user', content } };
}

function stored(id: string, chars: number): StoredItem {
  return { id, role: 'user', status: 'completed', parts: [{ type: 'input_text', text: 'x'.repeat(chars) }] };
}

test('conversation: bytes are counted as items come and go, and given back to the server on release', () => {
  const server = new HeldBytes(1 << 20);
  const a = new Conversation({ maxBytes: 1000, server });
  const b = new Conversation({ maxBytes: 1000, server });
  a.add(stored('a1', 100));
  a.add(stored('a2', 100));
  b.add(stored('b1', 50));
  assert.deepEqual([a.heldBytes, b.heldBytes, server.total], [400, 100, 500]);
  a.delete('a1');
  assert.deepEqual([a.heldBytes, server.total], [200, 300]);
  // Past the session's bound the oldest items go, never the one just added.
  a.add(stored('a3', 300)); // 800
  a.add(stored('a4', 150)); // 1100: a2 goes
  assert.equal(a.get('a2'), undefined);
  assert.ok(a.get('a3') && a.get('a4'));
  assert.deepEqual([a.heldBytes, server.total], [900, 1000]);
  assert.throws(() => a.add(stored('huge', 501)), { code: 'conversation_too_large' });
  assert.equal(a.heldBytes, 900, 'a refused item is not counted');
  // An item that grows after it was added (an answer streaming in) is counted again.
  const answer: StoredItem = { id: 'ans', role: 'assistant', status: 'in_progress', parts: [] };
  b.add(answer);
  answer.parts = [{ type: 'output_text', text: 'y'.repeat(200) }];
  assert.equal(b.heldBytes, 500);
  a.release();
  b.release();
  assert.equal(server.total, 0);
});

test('conversation: past the server total a session drops its own oldest items, and refuses what cannot fit', () => {
  const server = new HeldBytes(1000);
  const a = new Conversation({ maxBytes: 1000, server });
  const b = new Conversation({ maxBytes: 1000, server });
  a.add(stored('a1', 200));
  b.add(stored('b1', 100));
  b.add(stored('b2', 100)); // 400 + 400 = 800
  b.add(stored('b3', 150)); // 1100 > 1000: b drops b1
  assert.equal(b.get('b1'), undefined);
  assert.equal(server.total, 900);
  assert.throws(() => b.add(stored('b4', 350)), { code: 'conversation_too_large' }, '700 does not fit beside a\'s 400 even with b empty');
});

test('a session past limits.maxSessionHeldBytes drops its oldest items; one item over it alone gets conversation_too_large', async () => {
  await withSession({ limits: { maxSessionHeldBytes: 1 << 20, maxServerHeldBytes: 8 << 20 } }, async (client, server) => {
    // 10 items of 200,000 bytes each (2 bytes a character): 2 MB, twice the bound.
    for (let i = 0; i < 10; i++) client.send(textItem(`item_${i}`, 100_000));
    await client.waitFor('conversation.item.done', (e) => (e.item as { id: string }).id === 'item_9');
    const session = server.registry.list()[0]!;
    assert.ok(session.conversation.heldBytes <= 1 << 20, `holds ${session.conversation.heldBytes} bytes`);
    client.send({ type: 'conversation.item.delete', event_id: 'del0', item_id: 'item_0' });
    assert.equal(code(await client.errorFor('del0')), 'item_not_found', 'the oldest item was dropped');
    client.send({ type: 'conversation.item.delete', event_id: 'del9', item_id: 'item_9' });
    await client.waitFor('conversation.item.deleted', (e) => e.item_id === 'item_9');

    client.send(textItem('too_big', 100_000, 6)); // 1.2 MB held, 600 kB on the wire
    assert.equal(code(await client.errorFor('ev_too_big')), 'conversation_too_large');
    client.send(textItem('after', 10));
    await client.waitFor('conversation.item.done', (e) => (e.item as { id: string }).id === 'after');
    assert.equal(client.closed, null);
  });
});

test('admission: while the conversations hold more than limits.maxServerHeldBytes minus one full conversation, new sessions get server_busy', async () => {
  const server = await startServer({ limits: { maxSessionHeldBytes: 256 << 10, maxServerHeldBytes: 512 << 10 } });
  try {
    const a = await TestClient.connect(server.wsUrl);
    const b = await TestClient.connect(server.wsUrl);
    for (const [name, c] of [['a', a], ['b', b]] as const) {
      await c.waitFor('session.created');
      c.send(textItem(`${name}1`, 100_000)); // 200,000 bytes each
      await c.waitFor('conversation.item.done');
    }
    const refused = await TestClient.connect(server.wsUrl);
    assert.equal(code(await refused.waitFor('error')), 'server_busy');
    assert.equal((await refused.waitClosed()).code, 1013);
    a.close();
    await a.waitClosed();
    await waitUntil(() => server.registry.size === 1);
    const admitted = await TestClient.connect(server.wsUrl);
    await admitted.waitFor('session.created');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /duet_sessions_rejected_total\{reason="held_bytes"\} 1/);
    admitted.close();
    b.close();
  } finally {
    await server.stop();
  }
});

test('an item with a 3.4 MB image (within limits) is acknowledged by reference, not echoed twice into slow_consumer', async () => {
  await withSession({}, async (client, server) => {
    const width = 1064;
    const png = await sharp(noiseRgb(width, width), { raw: { width, height: width, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    assert.ok(png.length > 3_300_000 && png.length < server.config.vision.maxImageBytes, `${png.length} bytes`);
    const url = `data:image/png;base64,${png.toString('base64')}`;
    client.send({ type: 'conversation.item.create', item: { id: 'img', type: 'message', role: 'user', content: [{ type: 'input_image', image_url: url }, { type: 'input_text', text: 'what is this?' }] } });
    const added = await client.waitFor('conversation.item.added');
    const done = await client.waitFor('conversation.item.done');
    for (const e of [added, done]) {
      const parts = (e.item as { content: { type: string; image_url?: string }[] }).content;
      assert.equal(parts[0]!.image_url, 'duet:input-image');
    }
    client.send({ type: 'input_audio_buffer.clear' });
    await client.waitFor('input_audio_buffer.cleared');
    assert.equal(client.closed, null);
    assert.deepEqual(client.violations, []);
  });
});

test('config: a send queue that two accepted messages could overflow is refused', () => {
  assert.throws(() => resolveConfig({ limits: { maxMessageBytes: 6 << 20, sendQueueBytes: 8 << 20 } }), /limits\.sendQueueBytes: must be at least 2 \* limits\.maxMessageBytes/);
  assert.throws(() => resolveConfig({ limits: { maxSessionHeldBytes: 2 << 20, maxServerHeldBytes: 1 << 20 } }), /limits\.maxSessionHeldBytes/);
  const ok = resolveConfig({});
  assert.ok(ok.limits.sendQueueBytes >= 2 * ok.limits.maxMessageBytes, 'the defaults obey the rule');
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { Outbound } from '../../server/realtime/outbound.js';
import { Metrics } from '../../server/metrics.js';

/** A real ws server socket with an Outbound over it; counts the writes that reach its TCP socket. */
async function pair(beta = false) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const serverSide = new Promise<{ socket: WebSocket; transport: Socket }>((resolve) =>
    wss.once('connection', (socket, request) => resolve({ socket, transport: request.socket as Socket })),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((resolve) => client.once('open', resolve));
  const { socket, transport } = await serverSide;
  const metrics = new Metrics();
  const outbound = new Outbound(socket, { beta, maxQueuedBytes: 1 << 20, metrics, onOverflow: () => {}, transport });
  const messages: Record<string, unknown>[] = [];
  client.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  // Writable's implementation hooks: each call is one write (one syscall) to the kernel.
  let writes = 0;
  const hooks = transport as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = hooks[name].bind(transport);
    hooks[name] = (...args: unknown[]) => {
      writes += 1;
      return original(...args);
    };
  }
  const waitFor = async (count: number) => {
    while (messages.length < count) await new Promise((r) => setTimeout(r, 5));
  };
  const close = async () => {
    client.close();
    await new Promise((resolve) => wss.close(resolve));
  };
  return { outbound, messages, writes: () => writes, waitFor, metrics, close };
}

test('outbound: the events of one tick leave in one write, each stamped with a unique event_id', async () => {
  const p = await pair();
  try {
    const ref = { response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0 };
    const ids = [
      p.outbound.send({ type: 'response.content_part.added', ...ref, part: { type: 'output_text', text: '' } }),
      p.outbound.send({ type: 'response.output_text.delta', ...ref, delta: 'Hel' }),
      p.outbound.send({ type: 'response.output_text.delta', ...ref, delta: 'lo "quoted" \\ \u00e9' }),
      p.outbound.send({ type: 'input_audio_buffer.cleared' }),
    ];
    await p.waitFor(4);
    assert.equal(p.writes(), 1, 'four events sent in one tick leave in one write');
    assert.deepEqual(p.messages.map((m) => m.event_id), ids);
    assert.equal(new Set(ids).size, 4);
    assert.deepEqual(p.messages[2], { event_id: ids[2], type: 'response.output_text.delta', ...ref, delta: 'lo "quoted" \\ \u00e9' });
    assert.deepEqual(p.messages[3], { event_id: ids[3], type: 'input_audio_buffer.cleared' });

    // The next tick is a new write: nothing waits for a later batch.
    p.outbound.send({ type: 'response.output_text.delta', ...ref, delta: '!' });
    await p.waitFor(5);
    assert.equal(p.writes(), 2);
    const text = await p.metrics.registry.metrics();
    assert.match(text, /duet_events_out_total\{type="response.output_text.delta"\} 3/);
    assert.match(text, /duet_events_out_total\{type="input_audio_buffer.cleared"\} 1/);
  } finally {
    await p.close();
  }
});

test('outbound: beta clients get the beta event names, with the same fields', async () => {
  const p = await pair(true);
  try {
    const id = p.outbound.send({ type: 'response.output_text.delta', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta: 'x' });
    await p.waitFor(1);
    assert.deepEqual(p.messages[0], { type: 'response.text.delta', event_id: id, response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta: 'x' });
  } finally {
    await p.close();
  }
});

test('outbound: a delta sent from a template is the same event send() makes, for every delta type and both namings', async () => {
  for (const beta of [false, true]) {
    const p = await pair(beta);
    try {
      const ref = { response_id: 'resp_9', item_id: 'item_9', output_index: 0, content_index: 0 };
      const deltas = ['plain', 'quote " backslash \\ newline \n tab \t', 'caf\u00e9 \u{1F600} \u2028', ''];
      const types = ['response.output_text.delta', 'response.output_audio_transcript.delta', 'response.output_audio.delta'] as const;
      const ids: string[] = [];
      for (const type of types) {
        const template = p.outbound.deltaTemplate(type, ref);
        for (const delta of deltas) {
          ids.push(p.outbound.sendDelta(template, delta));
          ids.push(p.outbound.send({ type, ...ref, delta }));
        }
      }
      await p.waitFor(ids.length);
      for (let i = 0; i < ids.length; i += 2) {
        const fromTemplate = { ...p.messages[i] };
        const fromSend = { ...p.messages[i + 1] };
        assert.equal(fromTemplate.event_id, ids[i]);
        delete fromTemplate.event_id;
        delete fromSend.event_id;
        assert.deepEqual(fromTemplate, fromSend);
      }
      assert.equal(p.messages[0]!.type, beta ? 'response.text.delta' : 'response.output_text.delta');
      const text = await p.metrics.registry.metrics();
      assert.match(text, /duet_events_out_total\{type="response.output_audio.delta"\} 8/);
    } finally {
      await p.close();
    }
  }
});

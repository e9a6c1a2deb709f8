// The end-of-turn layer through the real socket, front-end and VAD (scripted models): speculative
// starts on a turn with a pause inside it, and the end-of-turn fixture model loaded by the app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { scriptedModelSet } from '../../models/scripted/index.js';
import type { Script } from '../../models/scripted/script.js';
import { concat, loadSpeech, silence, streamAudio } from '../support/speech.js';

async function session(turns: Record<string, unknown>) {
  const models = scriptedModelSet({ replies: [{ text: 'Done.' }], tokenDelayMs: 10, decisions: ['<1>'], rules: [], decisionDelayMs: 5 } as Script);
  const server = await startServer({ turns }, { models });
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
  await client.waitFor('session.updated');
  return { server, client, models };
}

test('speculative starts over the socket: the pause inside a turn is discarded without a trace, turn ends are used', async () => {
  const { server, client, models } = await session({ speculative: true });
  try {
    // "Set a timer" <300 ms> "for ten minutes." <1 s> "Thank you."
    await streamAudio(client, concat(loadSpeech('pause-within-turn').samples, silence(1000)), 1);
    await client.waitFor('response.done', () => true, 10000, client.events.findLastIndex((e) => e.type === 'response.created'));
    const metric = async (m: { get(): Promise<{ values: { value: number }[] }> }) => (await m.get()).values[0]?.value ?? 0;
    assert.equal(await metric(server.metrics.speculativeUsed), 2, 'both turns were answered from their prepared answers');
    assert.equal(await metric(server.metrics.speculativeStarts), 3, 'one more start: the pause inside the first turn');
    assert.ok((await metric(server.metrics.speculativeDiscardedMs)) > 0);
    assert.equal(client.types().filter((t) => t === 'response.created').length, 2, 'no event of the discarded start');
    assert.equal(client.types().filter((t) => t === 'duet.monitor.state').length, 2);
    assert.equal(client.types().filter((t) => t === 'conversation.item.added').length, 4, 'two user items, two answers');
    assert.equal(models.instances[0].generateCalls.length + models.instances[1].generateCalls.length, 3);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('the app loads the end-of-turn model named in config and it judges the turns', async () => {
  const modelPath = new URL('../fixtures/models/tiny-smart-turn/model.onnx', import.meta.url).pathname;
  const { server, client } = await session({ endOfTurn: ['model', 'silence'], modelPath, modelThreshold: 0 });
  try {
    assert.equal(server.models.endOfTurn?.id, 'smart-turn:model.onnx');
    // Threshold 0: every pause is complete, so the 300 ms pause inside the first turn ends it.
    await streamAudio(client, concat(loadSpeech('pause-within-turn').samples, silence(1000)), 2);
    await client.waitFor('response.done', (e) => client.events.filter((x) => x.type === 'response.done').length >= 3 && e.type === 'response.done', 10000);
    assert.equal(client.types().filter((t) => t === 'input_audio_buffer.committed').length, 3, 'the pause the timer would have bridged ended a turn');
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { concat, firstTurn, loadSpeech, silence, streamAudio } from '../support/speech.js';

// The whole server on the committed tiny fixture models (random seeded weights in the real
// Qwen2.5 / Whisper layouts): the same loading and inference code real exports go through.
const FIXTURES = fileURLToPath(new URL('../fixtures/models/', import.meta.url));

test('embedded models end to end: a spoken segment is transcribed, classified by the LLM monitor, and answered by the LLM', async () => {
  const server = await startServer({
    models: { chat: { kind: 'embedded', model: `${FIXTURES}tiny-llm`, maxNewTokens: 12 }, asr: { kind: 'embedded', model: `${FIXTURES}tiny-whisper` }, tts: null },
  });
  const client = await TestClient.connect(server.wsUrl);
  try {
    const created = await client.waitFor('session.created');
    const caps = (created.session as { duet: { capabilities: Record<string, { available: boolean }> } }).duet.capabilities;
    assert.equal(caps.generator!.available, true);
    assert.equal(caps.monitor!.available, true);
    assert.equal(caps.asr!.available, true);
    client.send({
      type: 'session.update',
      session: { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, transcription: { model: 'whisper' } } } },
    });
    await client.waitFor('session.updated');
    await streamAudio(client, concat(firstTurn(loadSpeech('two-turns-clean')), silence(300)), 3);
    const transcript = await client.waitFor('conversation.item.input_audio_transcription.completed', () => true, 30000);
    assert.equal(typeof transcript.transcript, 'string');
    const decision = await client.waitFor('duet.monitor.state', () => true, 30000);
    const p = decision.probabilities as Record<string, number>;
    assert.ok(Math.abs(p['<1>']! + p['<2>']! + p['<3>']! - 1) < 1e-4, 'state-token probabilities sum to one');
    if (decision.action === 'answer') {
      const done = await client.waitFor('response.done', () => true, 30000);
      const r = done.response as { status: string; usage: { output_tokens: number } };
      assert.ok(r.status === 'completed' || r.status === 'incomplete');
      assert.ok(r.usage.output_tokens > 0);
    }
    // A text query always gets an answer from the embedded generator.
    const from = client.events.length;
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } });
    client.send({ type: 'response.create' });
    const done = await client.waitFor('response.done', (e) => (e.response as { status: string }).status !== 'cancelled', 30000, from);
    const r = done.response as { status: string; usage: { output_tokens: number }; duet: { first_token_ms: number | null } };
    assert.ok(r.status === 'completed' || r.status === 'incomplete', r.status);
    assert.ok(r.usage.output_tokens > 0 && r.usage.output_tokens <= 12);
    assert.ok(r.duet.first_token_ms !== null);
    assert.equal(client.events.filter((e) => e.type === 'error').length, 0, JSON.stringify(client.events.filter((e) => e.type === 'error')));
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('an embedded model directory that does not exist: the server starts and says why', async () => {
  const server = await startServer({ models: { chat: { kind: 'embedded', model: '/nonexistent/model' }, tts: null } });
  try {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { capabilities: Record<string, { available: boolean; reason?: string }> };
    assert.equal(ready.capabilities.generator!.available, false);
    assert.match(ready.capabilities.generator!.reason ?? '', /nonexistent/);
    const client = await TestClient.connect(server.wsUrl);
    await client.waitFor('session.created');
    client.send({ type: 'response.create', event_id: 'r1' });
    const err = await client.errorFor('r1');
    assert.equal((err.error as { code: string }).code, 'model_unavailable');
    client.close();
  } finally {
    await server.stop();
  }
});

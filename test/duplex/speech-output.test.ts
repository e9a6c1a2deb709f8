import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scriptFile, startServer } from '../support/server.js';
import { TestClient, type Ev } from '../support/client.js';
import type { ScriptedInstance } from '../../models/scripted/index.js';

// Real espeak-ng synthesis, real pacing; scripted model answers.

const ANSWER = 'The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes.';

function audioMs(events: Ev[], responseId: string, bytesPerMs: number): number {
  return events
    .filter((e) => e.type === 'response.output_audio.delta' && e.response_id === responseId)
    .reduce((ms, e) => ms + Buffer.from(e.delta as string, 'base64').length / bytesPerMs, 0);
}

test('audio answers: duration plausible for the text; transcript deltas precede their audio; pcmu output is 8 kHz', async () => {
  const server = await startServer({ voice: { leadMs: 60000 }, models: { chat: { kind: 'scripted', script: scriptFile({ replies: [{ text: ANSWER }], tokenDelayMs: 2 }) } } });
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    for (const [format, bytesPerMs] of [[{ type: 'audio/pcm', rate: 24000 }, 48], [{ type: 'audio/pcmu' }, 8]] as const) {
      const from = client.events.length;
      client.send({ type: 'session.update', session: { output_modalities: ['audio'], audio: { output: { format } } } });
      await client.waitFor('session.updated', () => true, 5000, from);
      client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the fox.' }] } });
      client.send({ type: 'response.create' });
      const done = await client.waitFor('response.done', () => true, 30000, from);
      const id = (done.response as { id: string }).id;
      const transcript = client.events.slice(from).filter((e) => e.type === 'response.output_audio_transcript.delta').map((e) => e.delta).join('');
      assert.equal(transcript, ANSWER);
      const ms = audioMs(client.events.slice(from), id, bytesPerMs);
      const words = ANSWER.split(/\s+/).length;
      const wpm = words / (ms / 60000);
      assert.ok(wpm > 100 && wpm < 300, `${format.type}: ${words} words in ${ms.toFixed(0)} ms = ${wpm.toFixed(0)} wpm`);
      const first = client.events.slice(from).findIndex((e) => e.type === 'response.output_audio_transcript.delta');
      const firstAudio = client.events.slice(from).findIndex((e) => e.type === 'response.output_audio.delta');
      assert.ok(first >= 0 && first < firstAudio, 'the transcript of a clause goes out before its audio');
    }
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('interrupt mid-speech: no audio delta after the decision; truncate cuts the stored answer to the played ms; the next answer sees that', async () => {
  const server = await startServer({ voice: { leadMs: 300 }, models: { chat: { kind: 'scripted', script: scriptFile({ replies: [{ text: ANSWER }, { text: 'Okay.' }], tokenDelayMs: 5 }) } } });
  const set = server.models;
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the fox.' }] } });
    client.send({ type: 'response.create' });
    const created = await client.waitFor('response.created');
    const firstId = (created.response as { id: string }).id;
    const itemId = ((await client.waitFor('response.output_item.added')).item as { id: string }).id;
    // Listen for ~1.2 s of paced audio, then "play" 900 ms of it and interrupt with a text query.
    await client.waitFor('response.output_audio.delta');
    await new Promise((r) => setTimeout(r, 1200));
    const sentMs = audioMs(client.events, firstId, 48);
    assert.ok(sentMs < 1200 + 300 + 200, `paced: ${sentMs.toFixed(0)} ms sent after 1.2 s (lead 300 ms)`);
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Stop. What time is it?' }] } });
    client.send({ type: 'response.create' });
    const done = await client.waitFor('response.done', (e) => (e.response as { id: string }).id === firstId);
    assert.equal((done.response as { status: string }).status, 'cancelled');
    const clear = await client.waitFor('duet.output_audio.clear');
    assert.ok((clear.stale_audio_ms as number) <= 300 + 150, `stale audio ${clear.stale_audio_ms} ms`);
    const doneAt = client.events.indexOf(done);
    assert.equal(client.events.slice(doneAt).filter((e) => e.type === 'response.output_audio.delta' && e.response_id === firstId).length, 0, 'no audio of the first answer after it was cancelled');

    client.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 900 });
    const truncated = await client.waitFor('conversation.item.truncated');
    assert.equal(truncated.audio_end_ms, 900);
    await client.waitFor('response.done', (e) => (e.response as { id: string }).id !== firstId);
    // The heard text: a prefix of the answer, about 900 ms of speech (2-4 words at espeak's 175 wpm).
    const third = client.events.length;
    client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    await client.waitFor('response.done', () => true, 10000, third);
    const instances = set.instances as [ScriptedInstance, ScriptedInstance];
    const lastCall = [...instances[0].generateCalls, ...instances[1].generateCalls].sort((a, b) => a.messages.length - b.messages.length).at(-1)!;
    const heard = lastCall.messages.find((m) => m.role === 'assistant')!.content[0] as { type: 'text'; text: string };
    assert.ok(ANSWER.startsWith(heard.text.trimEnd()), `heard "${heard.text}" is a prefix of the answer`);
    const words = heard.text.trim().split(/\s+/).length;
    assert.ok(words >= 1 && words <= 5, `${words} words heard in 900 ms: "${heard.text}"`);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

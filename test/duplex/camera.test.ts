import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { scriptedModelSet, ScriptedInstance } from '../../models/scripted/index.js';
import { concat, firstTurn, loadSpeech, silence, streamAudio } from '../support/speech.js';

const JPEG = readFileSync(new URL('../fixtures/images/quadrants-32x24.jpg', import.meta.url));

test('camera frames streamed while the user speaks go with the spoken query to the generator (VITA: 4 evenly spaced)', async () => {
  const set = scriptedModelSet({ replies: [{ text: 'I see four colours.' }], tokenDelayMs: 5, decisions: ['<1>'], rules: [], decisionDelayMs: 1 });
  const server = await startServer({}, { models: set });
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    client.send({ type: 'session.update', session: { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
    await client.waitFor('session.updated');
    const camera = setInterval(() => {
      // Alternate JSON base64 frames and announced binary frames.
      if (Math.random() < 0.5) client.send({ type: 'duet.input_image.append', image: JPEG.toString('base64'), mime_type: 'image/jpeg' });
      else {
        client.send({ type: 'duet.input_image.append', binary: true, mime_type: 'image/jpeg' });
        client.ws.send(JPEG);
      }
    }, 150);
    await streamAudio(client, concat(firstTurn(loadSpeech('two-turns-clean')), silence(300)), 1.5);
    clearInterval(camera);
    const added = await client.waitFor('conversation.item.added', (e) => (e.item as { role: string; content: { type: string }[] }).role === 'user' && (e.item as { content: { type: string }[] }).content[0]?.type === 'input_audio');
    const parts = (added.item as { content: { type: string; image_url?: string }[] }).content;
    const images = parts.filter((p) => p.type === 'input_image');
    assert.equal(images.length, 4, 'four frames attached to the query');
    assert.ok(images.every((p) => p.image_url === 'duet:camera-frame'));
    await client.waitFor('response.done');
    const generator = (set.instances as [ScriptedInstance, ScriptedInstance]).find((i) => i.generateCalls.length === 1)!;
    const query = generator.generateCalls[0]!.messages.at(-1)!;
    const seen = query.content.filter((c) => c.type === 'image');
    assert.equal(seen.length, 4, 'the generator got the frames');
    for (const c of seen) if (c.type === 'image') assert.deepEqual([c.image.width, c.image.height, c.image.mimeType], [32, 24, 'image/jpeg']);
    assert.equal(client.events.filter((e) => e.type === 'error').length, 0);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

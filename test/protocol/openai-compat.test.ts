import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { TestClient, type Ev } from '../support/client.js';
import { scriptedModelSet } from '../../models/scripted/index.js';
import { concat, firstTurn, loadSpeech, silence, streamAudio } from '../support/speech.js';

// The GA client events and session.update keys that OpenAI clients (the `openai` package, the
// Agents SDK) send, each answered the way protocol/README.md's "Compatibility" table says.

type Session = Record<string, unknown> & {
  audio: { input: Record<string, unknown>; output: Record<string, unknown> };
  duet: { capabilities: Record<string, { available: boolean; reason?: string }> };
};

async function open(replies = [{ text: 'Fine, thanks.' }]): Promise<{ server: TestServer; client: TestClient }> {
  const models = scriptedModelSet({ replies, tokenDelayMs: 2, decisions: ['<1>'], rules: [], decisionDelayMs: 0 });
  const server = await startServer({}, { models });
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  return { server, client };
}

async function update(client: TestClient, session: Record<string, unknown>, eventId: string): Promise<Ev> {
  const from = client.events.length;
  client.send({ type: 'session.update', event_id: eventId, session });
  const answer = await Promise.race([client.waitFor('session.updated', () => true, 5000, from), client.errorFor(eventId)]);
  return answer;
}

async function finish(server: TestServer, client: TestClient): Promise<void> {
  assert.deepEqual(client.violations, []);
  client.close();
  await server.stop();
}

const errorOf = (e: Ev) => e.error as { code: string; param: string | null; message: string };

test('conversation.item.retrieve answers conversation.item.retrieved with the stored item; an unknown id is item_not_found and the session goes on; previous_item_id "root" means first', async () => {
  const { server, client } = await open();
  try {
    client.send({ type: 'conversation.item.create', item: { id: 'item_u1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'How are you?' }] } });
    await client.waitFor('conversation.item.done');
    client.send({ type: 'response.create' });
    const done = await client.waitFor('response.done');
    const answerId = (done.response as { output: { id: string }[] }).output[0]!.id;

    client.send({ type: 'conversation.item.retrieve', event_id: 'r1', item_id: 'item_u1' });
    const user = await client.waitFor('conversation.item.retrieved');
    assert.deepEqual(user.item, { id: 'item_u1', object: 'realtime.item', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'How are you?' }] });

    client.send({ type: 'conversation.item.retrieve', event_id: 'r2', item_id: 'item_nope' });
    const missing = errorOf(await client.errorFor('r2'));
    assert.equal(missing.code, 'item_not_found');
    assert.equal(missing.param, 'item_id');

    // OpenAI's "root" sentinel (the Agents SDK's updateHistory) places an item first.
    client.send({ type: 'conversation.item.create', previous_item_id: 'root', item: { id: 'item_first', type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Context.' }] } });
    const first = await client.waitFor('conversation.item.added', (e) => (e.item as { id: string }).id === 'item_first');
    assert.equal(first.previous_item_id, null);

    client.send({ type: 'conversation.item.retrieve', event_id: 'r3', item_id: answerId });
    const answer = await client.waitFor('conversation.item.retrieved', (e) => (e.item as { id: string }).id === answerId);
    assert.deepEqual((answer.item as { content: unknown[] }).content, [{ type: 'output_text', text: 'Fine, thanks.' }]);
    assert.equal((answer.item as { role: string }).role, 'assistant');
  } finally {
    await finish(server, client);
  }
});

test('input transcription without a speech recognizer: accepted and echoed, capabilities say no transcripts come, spoken turns still answered', async () => {
  const { server, client } = await open([{ text: 'Noon in Tokyo.' }]);
  try {
    const created = client.events.find((e) => e.type === 'session.created')!.session as Session;
    assert.doesNotMatch(created.duet.capabilities.asr!.reason ?? '', /transcription was requested/, 'no note while nothing is requested');

    const updated = await update(client, { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, transcription: { model: 'whisper-1', language: 'en', delay: 'low' } } } }, 't1');
    assert.equal(updated.type, 'session.updated', JSON.stringify(updated));
    const session = updated.session as Session;
    assert.deepEqual(session.audio.input.transcription, { model: 'whisper-1', language: 'en', delay: 'low' });
    assert.equal(session.duet.capabilities.asr!.available, false);
    assert.match(session.duet.capabilities.asr!.reason ?? '', /input transcription was requested/);

    await streamAudio(client, concat(firstTurn(loadSpeech('two-turns-clean')), silence(300)), 3);
    const done = await client.waitFor('response.done');
    assert.equal((done.response as { status: string }).status, 'completed');
    const userItem = await client.waitFor('conversation.item.done', (e) => (e.item as { role: string }).role === 'user');
    assert.deepEqual((userItem.item as { content: unknown[] }).content, [{ type: 'input_audio', transcript: null }]);
    assert.deepEqual(client.types().filter((t) => t.startsWith('conversation.item.input_audio_transcription') || t === 'error'), []);

    const off = await update(client, { audio: { input: { transcription: null } } }, 't2');
    assert.doesNotMatch((off.session as Session).duet.capabilities.asr!.reason ?? '', /transcription was requested/);
  } finally {
    await finish(server, client);
  }
});

test('OpenAI session keys the SDKs send are accepted and echoed: tracing, truncation, include, tools, tool_choice, noise_reduction, semantic_vad eagerness, speed...', async () => {
  const { server, client } = await open();
  try {
    const created = client.events.find((e) => e.type === 'session.created')!.session as Session;
    // OpenAI's defaults in session.created.
    assert.equal(created.tracing, null);
    assert.equal(created.truncation, 'auto');
    assert.equal(created.include, null);
    assert.equal(created.prompt, null);
    assert.deepEqual(created.tools, []);
    assert.equal(created.tool_choice, 'auto');

    const tool = { type: 'function', name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
    const sent = {
      type: 'realtime',
      model: 'gpt-realtime',
      instructions: 'Be brief.',
      output_modalities: ['text'],
      max_output_tokens: 300,
      tracing: { workflow_name: 'support', group_id: 'g1', metadata: { team: 'a' } },
      truncation: { type: 'retention_ratio', retention_ratio: 0.8, token_limits: { post_instructions: 1000 } },
      include: ['item.input_audio_transcription.logprobs'],
      tools: [tool],
      tool_choice: 'required',
      parallel_tool_calls: false,
      reasoning: { effort: 'low' },
      prompt: null,
      audio: {
        input: { noise_reduction: { type: 'far_field' }, turn_detection: { type: 'semantic_vad', eagerness: 'high' } },
        output: { speed: 1.5 },
      },
    };
    const updated = await update(client, sent, 'k1');
    assert.equal(updated.type, 'session.updated', JSON.stringify(updated));
    const s = updated.session as Session;
    assert.equal(s.model, 'gpt-realtime');
    assert.deepEqual(s.output_modalities, ['text']);
    assert.equal(s.max_output_tokens, 300);
    assert.deepEqual(s.tracing, sent.tracing);
    assert.deepEqual(s.truncation, sent.truncation);
    assert.deepEqual(s.include, sent.include);
    assert.deepEqual(s.tools, [tool]);
    assert.equal(s.tool_choice, 'required');
    assert.equal(s.parallel_tool_calls, false);
    assert.deepEqual(s.reasoning, { effort: 'low' });
    assert.equal(s.prompt, null);
    assert.deepEqual(s.audio.input.noise_reduction, { type: 'far_field' });
    assert.deepEqual(s.audio.input.turn_detection, { type: 'semantic_vad', eagerness: 'high', create_response: true, interrupt_response: true });
    assert.equal(s.audio.output.speed, 1.5);

    // The Agents SDK's tracing-only update and its `tools: []` revocation keep the rest.
    const later = (await update(client, { type: 'realtime', tracing: 'auto', tools: [], tool_choice: { type: 'function', name: 'get_weather' } }, 'k2')).session as Session;
    assert.equal(later.tracing, 'auto');
    assert.deepEqual(later.tools, []);
    assert.deepEqual(later.tool_choice, { type: 'function', name: 'get_weather' });
    assert.deepEqual(later.truncation, sent.truncation);
    assert.deepEqual(later.audio.input.noise_reduction, { type: 'far_field' });
    assert.equal((later.audio.input.turn_detection as { eagerness: string }).eagerness, 'high');

    // A text turn still works with all of it set (tools are never called).
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] } });
    client.send({ type: 'response.create' });
    assert.equal(((await client.waitFor('response.done')).response as { status: string }).status, 'completed');
    assert.deepEqual(client.types().filter((t) => t === 'error'), []);
  } finally {
    await finish(server, client);
  }
});

test('what Duet cannot do gets a clear, non-fatal error and leaves the session unchanged: stored prompts, transcription sessions, malformed tools', async () => {
  const { server, client } = await open();
  try {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ prompt: { id: 'pmpt_123', version: '2' }, instructions: 'Changed?' }, 'unsupported_value', 'session.prompt'],
      [{ type: 'transcription' }, 'unsupported_value', 'session.type'],
      [{ tools: [{ type: 'function' }] }, 'invalid_value', 'session.tools.0'],
      [{ tracing: 'on' }, 'invalid_value', 'session.tracing'],
      [{ include: ['everything'] }, 'invalid_value', 'session.include'],
    ];
    for (const [i, [session, code, param]] of cases.entries()) {
      const answer = await update(client, session, `bad${i}`);
      assert.equal(answer.type, 'error', JSON.stringify(session));
      assert.equal(errorOf(answer).code, code, JSON.stringify(session));
      assert.ok((errorOf(answer).param ?? '').startsWith(param), `${JSON.stringify(session)}: ${errorOf(answer).param}`);
    }
    const after = (await update(client, {}, 'ok')).session as Session;
    assert.notEqual(after.instructions, 'Changed?', 'a refused update changes nothing');
    assert.equal(client.closed, null);
  } finally {
    await finish(server, client);
  }
});

test('client events: output_audio_buffer.clear and out-of-band response.create get unsupported_value; metadata, tools and conversation "auto" are accepted', async () => {
  const { server, client } = await open([{ text: 'One.' }, { text: 'Two.' }]);
  try {
    await update(client, { output_modalities: ['text'] }, 's');
    client.send({ type: 'output_audio_buffer.clear', event_id: 'o1' });
    const clear = errorOf(await client.errorFor('o1'));
    assert.equal(clear.code, 'unsupported_value');
    assert.match(clear.message, /WebRTC/);

    const refused: [Record<string, unknown>, string][] = [
      [{ conversation: 'none' }, 'response.conversation'],
      [{ input: [] }, 'response.input'],
      [{ prompt: { id: 'pmpt_1' } }, 'response.prompt'],
      [{ audio: { output: { format: { type: 'audio/pcmu' } } } }, 'response.audio.output.format'],
    ];
    for (const [i, [response, param]] of refused.entries()) {
      client.send({ type: 'response.create', event_id: `x${i}`, response });
      const err = errorOf(await client.errorFor(`x${i}`));
      assert.equal(err.code, 'unsupported_value', JSON.stringify(response));
      assert.equal(err.param, param);
    }
    assert.ok(!client.types().includes('response.created'), 'no response was started by a refused response.create');

    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] } });
    client.send({
      type: 'response.create',
      response: { conversation: 'auto', metadata: { topic: 'greeting' }, tool_choice: 'none', tools: [], audio: { output: { format: { type: 'audio/pcm', rate: 24000 } } } },
    });
    assert.equal(((await client.waitFor('response.done')).response as { status: string }).status, 'completed');

    client.send({ type: 'input_audio_buffer.clear' });
    await client.waitFor('input_audio_buffer.cleared');
    assert.equal(client.events.filter((e) => e.type === 'error').length, 1 + refused.length);
  } finally {
    await finish(server, client);
  }
});

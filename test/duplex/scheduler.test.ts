import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { TestClient, type Ev } from '../support/client.js';
import { scriptedModelSet, ScriptedInstance } from '../../models/scripted/index.js';
import type { Script } from '../../models/scripted/script.js';
import { concat, firstTurn, loadSpeech, silence, streamAudio } from '../support/speech.js';

// Scripted model instances stand in for the models' answers; the VAD, the front-end, the
// scheduler and the protocol are the real ones, driven by synthesized speech.

const LONG = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ') + '.';
const question = firstTurn(loadSpeech('two-turns-clean'));

async function session(script: Partial<Script>, config: Record<string, unknown> = {}) {
  const set = scriptedModelSet({ replies: [{ text: 'Noon in Tokyo.' }], tokenDelayMs: 20, decisions: ['<1>'], rules: [], decisionDelayMs: 5, ...script } as Script);
  const server = await startServer({ scheduler: { minInterruptSpeechMs: 100 }, ...config }, { models: set });
  const models = { instances: set.instances as [ScriptedInstance, ScriptedInstance] };
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
  await client.waitFor('session.updated');
  return { models, server, client };
}

function deltasOf(client: TestClient, responseId: string): string {
  return client.events.filter((e) => e.type === 'response.output_text.delta' && e.response_id === responseId).map((e) => e.delta as string).join('');
}

async function startTextAnswer(client: TestClient): Promise<Ev> {
  const from = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me a long story.' }] } });
  client.send({ type: 'response.create' });
  const created = await client.waitFor('response.created', () => true, 5000, from);
  await client.waitFor('response.output_text.delta', () => true, 5000, from);
  return created;
}

const responseId = (e: Ev) => (e.response as { id: string }).id;

async function finish(server: TestServer, client: TestClient) {
  assert.deepEqual(client.violations, []);
  client.close();
  await server.stop();
}

test('1. a spoken question with no wake word gets an answer', async () => {
  const { server, client, models } = await session({});
  await streamAudio(client, concat(question, silence(300)), 3);
  const decision = await client.waitFor('duet.monitor.state');
  assert.equal(decision.state, '<1>');
  assert.equal(decision.action, 'answer');
  const done = await client.waitFor('response.done');
  assert.equal((done.response as { status: string }).status, 'completed');
  assert.equal(deltasOf(client, responseId(done)), 'Noon in Tokyo.');
  const order = client.types();
  for (const [a, b] of [['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped'], ['input_audio_buffer.committed', 'duet.monitor.state'], ['duet.monitor.state', 'response.created']]) {
    assert.ok(order.indexOf(a!) < order.indexOf(b!), `${a} before ${b}`);
  }
  // The monitor saw the segment with its Mel features; the answer came from the instance that recognised it.
  const monitorCall = models.instances[1].classifyCalls[0]!;
  assert.ok(monitorCall.segment && monitorCall.segment.samples.length > 16000 * 0.8);
  assert.ok(monitorCall.segment.mel && monitorCall.segment.mel.frames > 50);
  assert.equal(models.instances[1].generateCalls.length, 1, 'roles swapped: the former monitor answers');
  await finish(server, client);
});

test('2. a <2> segment during an answer pauses it, then it resumes exactly: nothing lost or duplicated', async () => {
  const { server, client } = await session({ replies: [{ text: LONG }], tokenDelayMs: 40, decisions: ['<2>'] });
  const created = await startTextAnswer(client);
  await streamAudio(client, concat(question, silence(300)), 2);
  const paused = await client.waitFor('duet.response.paused');
  assert.equal(paused.response_id, responseId(created));
  const decision = await client.waitFor('duet.monitor.state');
  assert.equal(decision.state, '<2>');
  assert.equal(decision.action, 'resume');
  const resumed = await client.waitFor('duet.response.resumed');
  assert.equal(resumed.reason, 'noise');
  const done = await client.waitFor('response.done');
  assert.equal((done.response as { status: string }).status, 'completed');
  assert.equal(deltasOf(client, responseId(created)), LONG, 'final text equals the scripted answer exactly');
  // No delta was sent between pause and resume.
  const i0 = client.events.indexOf(paused);
  const i1 = client.events.indexOf(resumed);
  assert.equal(client.events.slice(i0, i1).filter((e) => e.type === 'response.output_text.delta').length, 0);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /duet_false_interruptions_total 1/);
  assert.match(metrics, /duet_interruption_detection_ms_count 1/);
  await finish(server, client);
});

test('3. a <1> question mid-answer stops it within one token step; the new answer sees the first cut to what was sent', async () => {
  const { server, client, models } = await session({ replies: [{ text: LONG }, { text: 'Second answer.' }], tokenDelayMs: 40, decisions: ['<1>'] });
  const created = await startTextAnswer(client);
  const firstGenerator = models.instances.find((i) => i.generateCalls.length === 1)!;
  await streamAudio(client, concat(question, silence(300)), 2);
  const decision = await client.waitFor('duet.monitor.state');
  assert.equal(decision.action, 'interrupt');
  const cancelled = await client.waitFor('response.done', (e) => responseId(e) === responseId(created));
  const r = cancelled.response as { status: string; status_details: { reason: string } };
  assert.equal(r.status, 'cancelled');
  assert.equal(r.status_details.reason, 'turn_detected');
  const decisionAt = client.events.indexOf(decision);
  assert.equal(client.events.slice(decisionAt).filter((e) => e.type === 'response.output_text.delta' && e.response_id === responseId(created)).length, 0, 'no delta of the first answer after the decision');
  assert.ok(client.events.slice(decisionAt).some((e) => e.type === 'duet.output_audio.clear'));
  assert.ok(client.events.slice(decisionAt).some((e) => e.type === 'duet.roles.swapped'));
  const second = await client.waitFor('response.done', (e) => responseId(e) !== responseId(created));
  assert.equal(deltasOf(client, responseId(second)), 'Second answer.');
  assert.equal(firstGenerator.active, 0, 'the first generation stopped');
  const secondGenerator = models.instances.find((i) => i !== firstGenerator)!;
  const context = secondGenerator.generateCalls.at(-1)!.messages;
  const heard = deltasOf(client, responseId(created));
  assert.ok(heard.length > 0 && heard.length < LONG.length, 'the first answer was cut');
  const assistant = context.find((m) => m.role === 'assistant');
  assert.deepEqual(assistant?.content, [{ type: 'text', text: heard }], 'the interrupted answer, as sent, is in the new context');
  assert.equal(context.at(-1)?.role, 'user', 'the new query is last');
  await finish(server, client);
});

test('4. ten interruptions in five seconds leave no orphan generation, timer or listener; disconnect mid-answer aborts generation', async () => {
  const { server, client, models } = await session({ replies: [{ text: LONG }], tokenDelayMs: 30 });
  for (let i = 0; i < 10; i++) {
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `question ${i}` }] } });
    client.send({ type: 'response.create' });
    await new Promise((r) => setTimeout(r, 450));
  }
  const created = client.events.filter((e) => e.type === 'response.created');
  assert.equal(created.length, 10);
  const last = responseId(created.at(-1)!);
  const dones = client.events.filter((e) => e.type === 'response.done');
  assert.equal(dones.filter((e) => (e.response as { status: string }).status === 'cancelled' && (e.response as { status_details: { reason: string } }).status_details.reason === 'turn_detected').length, 9);
  const live = server.registry.list()[0]!;
  assert.deepEqual(live.scheduler.pending(), { timers: 0, inflightDecisions: 0, activeResponse: true });
  assert.equal(models.instances[0].active + models.instances[1].active, 1, 'only the last answer is generating');
  assert.equal(live.outbound !== undefined, true);
  assert.ok(last);
  // Disconnect mid-answer.
  const listeners = client.ws.listenerCount('message');
  client.close();
  await client.waitClosed();
  for (let i = 0; i < 100 && server.registry.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.registry.size, 0);
  assert.deepEqual(live.scheduler.pending(), { timers: 0, inflightDecisions: 0, activeResponse: false });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(models.instances[0].active + models.instances[1].active, 0, 'generation aborted on disconnect');
  assert.ok(listeners >= 1);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /duet_active_sessions 0/);
  await server.stop();
});

test('5. the monitor decides while the generator is busy (concurrency observed, not assumed)', async () => {
  const { server, client, models } = await session({ replies: [{ text: LONG }], tokenDelayMs: 40, decisions: ['<2>'], decisionDelayMs: 30 });
  await startTextAnswer(client);
  const generator = models.instances.find((i) => i.generateCalls.length === 1)!;
  const monitor = models.instances.find((i) => i !== generator)!;
  let generatingWhenClassified = -1;
  const original = monitor.classify.bind(monitor);
  monitor.classify = async (request) => {
    generatingWhenClassified = generator.active;
    return original(request);
  };
  await streamAudio(client, concat(question, silence(300)), 2);
  const decision = await client.waitFor('duet.monitor.state');
  assert.equal(generatingWhenClassified, 1, 'the generator was mid-stream when the monitor ran');
  assert.ok((decision.elapsed_ms as number) < 1000, `decision took ${decision.elapsed_ms} ms`);
  const done = await client.waitFor('response.done');
  assert.equal((done.response as { status: string }).status, 'completed');
  await finish(server, client);
});

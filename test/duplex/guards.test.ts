import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { scriptedModelSet, ScriptedRecognizer } from '../../models/scripted/index.js';
import type { Script } from '../../models/scripted/script.js';
import { concat, firstTurn, loadSpeech, silence, streamAudio } from '../support/speech.js';

const ANSWER = 'The river runs north through the valley and the old mill stands beside the bridge where the children play every summer afternoon until the sun goes down behind the hills.';
const question = firstTurn(loadSpeech('two-turns-clean'));

async function answering(script: Partial<Script>, config: Record<string, unknown>, transcripts?: string[]) {
  const set = scriptedModelSet({ replies: [{ text: ANSWER }, { text: 'Second.' }], tokenDelayMs: 60, decisions: ['<1>'], rules: [], decisionDelayMs: 1, ...script } as Script);
  const models = transcripts ? { ...set, asr: new ScriptedRecognizer(transcripts) } : set;
  const server = await startServer({ ...config }, { models });
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
  await client.waitFor('session.updated');
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the river.' }] } });
  client.send({ type: 'response.create' });
  await client.waitFor('response.output_text.delta');
  return { server, client };
}

test('a pause with no decision in time resumes on its own; the late decision does not cut the answer', async () => {
  // The monitor takes 1.5 s; the pause times out 300 ms after the speech ends.
  const { server, client } = await answering({ decisions: ['<2>'], decisionDelayMs: 1500 }, { scheduler: { pauseTimeoutMs: 300 } });
  try {
    await streamAudio(client, concat(question, silence(300)), 2);
    await client.waitFor('duet.response.paused');
    const resumed = await client.waitFor('duet.response.resumed');
    assert.equal(resumed.reason, 'timeout');
    const decision = await client.waitFor('duet.monitor.state', () => true, 5000);
    assert.equal(decision.state, '<2>');
    const done = await client.waitFor('response.done', () => true, 20000);
    assert.equal((done.response as { status: string }).status, 'completed');
    const text = client.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    assert.equal(text, ANSWER);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('echo guard: a segment whose transcript is what the assistant just said is noise, whatever the monitor would say', async () => {
  // The monitor would interrupt (<1>); the transcript echoes the answer being spoken.
  const { server, client } = await answering({ decisions: ['<1>'] }, { scheduler: { echoGuardMs: 5000 } }, ['the river runs north through the valley']);
  try {
    await streamAudio(client, concat(question, silence(300)), 2);
    const decision = await client.waitFor('duet.monitor.state');
    assert.equal(decision.state, '<2>');
    assert.equal(decision.action, 'resume');
    assert.equal(decision.reason, 'echo of the assistant');
    const done = await client.waitFor('response.done', () => true, 20000);
    assert.equal((done.response as { status: string }).status, 'completed', 'the answer was not interrupted by its own echo');
  } finally {
    client.close();
    await server.stop();
  }
});

test('echo guard off: the same segment interrupts', async () => {
  const { server, client } = await answering({ decisions: ['<1>'] }, { scheduler: { echoGuardMs: 0 } }, ['the river runs north through the valley']);
  try {
    await streamAudio(client, concat(question, silence(300)), 2);
    const decision = await client.waitFor('duet.monitor.state');
    assert.equal(decision.action, 'interrupt');
    const done = await client.waitFor('response.done');
    assert.equal((done.response as { status: string; status_details: { reason: string } }).status_details.reason, 'turn_detected');
  } finally {
    client.close();
    await server.stop();
  }
});

test('minimum speech guard: speech shorter than minInterruptSpeechMs never pauses the answer (it is still classified)', async () => {
  const { server, client } = await answering({ decisions: ['<2>'] }, { scheduler: { minInterruptSpeechMs: 5000, tentativePause: false } });
  try {
    await streamAudio(client, concat(question, silence(300)), 2);
    const decision = await client.waitFor('duet.monitor.state');
    assert.equal(decision.state, '<2>');
    assert.equal(client.events.filter((e) => e.type === 'duet.response.paused').length, 0);
    const done = await client.waitFor('response.done', () => true, 20000);
    assert.equal((done.response as { status: string }).status, 'completed');
  } finally {
    client.close();
    await server.stop();
  }
});

test('minimum speech guard with tentative pauses: the pause at onset is undone when the speech stops short, nothing lost', async () => {
  const { server, client } = await answering({ decisions: ['<2>'] }, { scheduler: { minInterruptSpeechMs: 5000 } });
  try {
    await streamAudio(client, concat(question, silence(300)), 2);
    const paused = await client.waitFor('duet.response.paused');
    assert.equal(paused.tentative, true);
    const resumed = await client.waitFor('duet.response.resumed');
    assert.equal(resumed.reason, 'short');
    const done = await client.waitFor('response.done', () => true, 20000);
    assert.equal((done.response as { status: string }).status, 'completed');
    const text = client.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    assert.equal(text, ANSWER);
  } finally {
    client.close();
    await server.stop();
  }
});

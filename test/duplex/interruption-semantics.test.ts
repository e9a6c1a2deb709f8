// What speech over an answer means to each kind of client, through the real socket and the real VAD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scriptFile, startServer } from '../support/server.js';
import { TestClient, type Ev } from '../support/client.js';
import { scriptedModelSet } from '../../models/scripted/index.js';
import type { Script } from '../../models/scripted/script.js';
import { concat, firstTurn, loadSpeech, silence, streamAudio } from '../support/speech.js';

const ANSWER = 'The river runs north through the valley and the old mill stands beside the bridge where the children play every summer afternoon until the sun goes down behind the hills.';
const fixture = loadSpeech('two-turns-clean');
const question = firstTurn(fixture);

async function answering(script: Partial<Script>, duet?: { speech_started: 'immediate' | 'confirmed' }) {
  const models = scriptedModelSet({ replies: [{ text: ANSWER }, { text: 'Second.' }], tokenDelayMs: 60, decisions: ['<1>'], rules: [], decisionDelayMs: 1, ...script } as Script);
  const server = await startServer({}, { models });
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  const session: Record<string, unknown> = { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } };
  if (duet) session.duet = duet;
  client.send({ type: 'session.update', session });
  await client.waitFor('session.updated');
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the river.' }] } });
  client.send({ type: 'response.create' });
  await client.waitFor('response.output_text.delta');
  return { server, client };
}

const index = (events: { type: string }[], type: string, from = 0) => events.findIndex((e, i) => i >= from && e.type === type);

test('plain OpenAI client: speech the monitor calls noise is never announced, leaves no item, and the answer completes whole', async () => {
  const { server, client } = await answering({ decisions: ['<2>'] });
  try {
    const updated = client.events.find((e) => e.type === 'session.updated')!;
    assert.equal((updated.session as { duet: { speech_started: string } }).duet.speech_started, 'confirmed', 'the default for clients that say nothing');
    await streamAudio(client, concat(question, silence(300)), 2);
    const decision = await client.waitFor('duet.monitor.state');
    assert.equal(decision.state, '<2>');
    assert.equal(decision.action, 'resume');
    const done = await client.waitFor('response.done', () => true, 20000);
    assert.equal((done.response as { status: string }).status, 'completed');
    for (const type of ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', 'input_audio_buffer.committed']) {
      assert.equal(index(client.events, type), -1, `${type} was never sent`);
    }
    assert.equal(client.events.filter((e) => e.type === 'conversation.item.added' && (e.item as { role: string }).role === 'user' && (e.item as { content: { type: string }[] }).content[0]?.type === 'input_audio').length, 0);
    const text = client.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    assert.equal(text, ANSWER);
    assert.equal(decision.item_id !== null && client.events.some((e) => e.type === 'conversation.item.done' && (e.item as { id: string }).id === decision.item_id), false);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('plain OpenAI client: a real question is announced (speech_started, committed, item) just before the answer is cancelled, then answered', async () => {
  const { server, client } = await answering({ decisions: ['<1>'] });
  try {
    await streamAudio(client, concat(question, silence(300)), 2);
    const cancelled = await client.waitFor('response.done', (e) => (e.response as { status: string }).status === 'cancelled', 20000);
    const cancelledAt = client.events.indexOf(cancelled);
    const started = index(client.events, 'input_audio_buffer.speech_started');
    const stopped = index(client.events, 'input_audio_buffer.speech_stopped');
    const committed = index(client.events, 'input_audio_buffer.committed');
    assert.ok(started >= 0 && started < stopped && stopped < committed && committed < cancelledAt, `order: started ${started}, stopped ${stopped}, committed ${committed}, cancelled ${cancelledAt}`);
    const next = await client.waitFor('response.done', (e) => (e.response as { status: string }).status === 'completed', 20000, cancelledAt + 1);
    assert.ok(next);
    assert.deepEqual(client.violations, []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('duet client (immediate): a tentative pause at the first speech frames comes before speech_started, which comes before the decision', async () => {
  const { server, client } = await answering({ decisions: ['<2>'] }, { speech_started: 'immediate' });
  try {
    await streamAudio(client, concat(question, silence(300)), 2);
    await client.waitFor('duet.monitor.state');
    const paused = index(client.events, 'duet.response.paused');
    const started = index(client.events, 'input_audio_buffer.speech_started');
    const decided = index(client.events, 'duet.monitor.state');
    assert.ok(paused >= 0 && paused < started && started < decided, `paused ${paused}, speech_started ${started}, decision ${decided}`);
    assert.equal(client.events[paused]!.tentative, true);
    // The noise segment was announced, so it stays in the conversation for this client.
    assert.ok(index(client.events, 'input_audio_buffer.committed') > started);
  } finally {
    client.close();
    await server.stop();
  }
});

test('default pause (and with the duck on, an answer in its first duckAfterMs): a speech-like transient during a spoken answer pauses it tentatively and resumes with audio still buffered at the client (no gap)', async () => {
  const server = await startServer({ voice: { leadMs: 300 }, models: { chat: { kind: 'scripted', script: scriptFile({ replies: [{ text: ANSWER }], tokenDelayMs: 5, decisions: ['<2>'] }) } } });
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    client.send({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } }, duet: { speech_started: 'immediate' } } });
    await client.waitFor('session.updated');
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the river.' }] } });
    client.send({ type: 'response.create' });
    await client.waitFor('response.output_audio.delta');
    // 100 ms from the middle of a word: the VAD's first frames hear speech, its minimum speech (250 ms) is not met.
    // Before it, 3 s of a quiet microphone, as a real client streams: the pacer's lead builds up, and the
    // echo canceller (on by default) learns that this microphone hears no echo of the answer.
    const onset = Math.round((fixture.truth.turns[0]!.onsetMs + 250) * 16);
    const transient = fixture.samples.slice(onset, onset + 1600);
    const quiet = Float32Array.from({ length: 3000 * 16 }, (_, i) => Math.sin(i * 12.9898) * 1e-3); // a quiet floor, about -63 dBFS RMS
    await streamAudio(client, concat(quiet, transient, silence(600)), 1);
    const paused = await client.waitFor('duet.response.paused', () => true, 5000);
    assert.equal(paused.tentative, true);
    const resumed = await client.waitFor('duet.response.resumed', () => true, 5000);
    assert.equal(resumed.reason, 'blip');
    assert.ok((resumed.buffered_audio_ms as number) > 0, `the client still had ${String(resumed.buffered_audio_ms)} ms buffered when output resumed`);
    assert.equal(index(client.events, 'input_audio_buffer.speech_started'), -1, 'a blip is never announced');
    const done = await client.waitFor('response.done', () => true, 30000);
    assert.equal((done.response as { status: string }).status, 'completed');
  } finally {
    client.close();
    await server.stop();
  }
});

/** Peak of the decoded PCM16 audio deltas among `events`. */
function audioPeak(events: { type: string; delta?: unknown }[]): number {
  let peak = 0;
  for (const e of events) {
    if (e.type !== 'response.output_audio.delta') continue;
    const bytes = Buffer.from(String(e.delta), 'base64');
    for (let i = 0; i + 1 < bytes.length; i += 2) peak = Math.max(peak, Math.abs(bytes.readInt16LE(i)) / 32768);
  }
  return peak;
}

/** A spoken answer playing to a plain OpenAI client (the default `confirmed` mode) that streams a 16 kHz microphone. */
async function spokenAnswer(decisions: ('<1>' | '<2>')[], scheduler: Record<string, unknown> = {}) {
  const server = await startServer({ voice: { leadMs: 300 }, scheduler, models: { chat: { kind: 'scripted', script: scriptFile({ replies: [{ text: ANSWER }, { text: 'Second.' }], tokenDelayMs: 5, decisions }) } } });
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
  await client.waitFor('session.updated');
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the river.' }] } });
  client.send({ type: 'response.create' });
  await client.waitFor('response.output_audio.delta');
  return { server, client };
}

/** 3 s of a quiet microphone (as a real client streams before it speaks), then `speech`, then silence. */
function overQuiet(speech: Float32Array): Float32Array {
  const quiet = Float32Array.from({ length: 3000 * 16 }, (_, i) => Math.sin(i * 12.9898) * 1e-3);
  return concat(quiet, speech, silence(1200));
}

/** A short word (450 ms of a real utterance) over the answer; the monitor calls it noise: returns the resume. */
async function wordOver(client: TestClient): Promise<Ev> {
  const onset = Math.round(fixture.truth.turns[0]!.onsetMs * 16);
  await streamAudio(client, overQuiet(fixture.samples.slice(onset, onset + 450 * 16)), 1);
  const resumed = await client.waitFor('duet.response.resumed', () => true, 8000);
  assert.equal(resumed.reason, 'noise');
  return resumed;
}

/** The answer's whole text reached the client, and the word over it was never announced. */
function assertWholeAndUnannounced(client: TestClient): void {
  const transcript = client.events.filter((e) => e.type === 'response.output_audio_transcript.delta').map((e) => e.delta).join('');
  assert.equal(transcript, ANSWER);
  for (const type of ['input_audio_buffer.speech_started', 'conversation.item.truncated']) assert.equal(index(client.events, type), -1, `no ${type}`);
}

test('plain OpenAI client, spoken answer (default): a short word over it pauses the answer at its first frames, unannounced, and the noise verdict resumes it where it stopped: nothing sent while paused, the answer whole', async () => {
  const { server, client } = await spokenAnswer(['<2>']);
  try {
    const resumed = await wordOver(client);
    const paused = index(client.events, 'duet.response.paused');
    const resumedAt = client.events.indexOf(resumed);
    assert.ok(paused >= 0 && paused < resumedAt, `paused ${paused}, resumed ${resumedAt}`);
    assert.equal(client.events[paused]!.tentative, true, 'paused at the first speech frames, before the VAD confirmed the word');
    assert.equal(index(client.events, 'duet.response.ducked'), -1, 'no duck by default');
    assert.equal(client.events.slice(paused, resumedAt).filter((e) => e.type === 'response.output_audio.delta').length, 0, 'nothing sent while paused');
    const done = await client.waitFor('response.done', () => true, 30000);
    assert.equal((done.response as { status: string }).status, 'completed');
    assertWholeAndUnannounced(client);
  } finally {
    client.close();
    await server.stop();
  }
});

test('plain OpenAI client, spoken answer, with the duck on (scheduler.duckMs 800): a short word over it ducks the answer, which plays on lowered with no gap and comes back at full level', async () => {
  const { server, client } = await spokenAnswer(['<2>'], { duckMs: 800 });
  try {
    const resumed = await wordOver(client);
    const ducked = index(client.events, 'duet.response.ducked');
    const resumedAt = client.events.indexOf(resumed);
    assert.ok(ducked >= 0 && ducked < resumedAt, `ducked ${ducked}, resumed ${resumedAt}`);
    assert.equal(index(client.events, 'duet.response.paused'), -1, 'the word never paused the answer');
    const during = client.events.slice(ducked, resumedAt).filter((e) => e.type === 'response.output_audio.delta');
    assert.ok(during.length >= 3, `the answer went on while ducked (${during.length} deltas)`);
    const before = audioPeak(client.events.slice(0, ducked));
    const lowered = audioPeak(during);
    // -15 dB is 0.18 of the level: the lowered frames' peak stays far under the peak heard before.
    assert.ok(lowered > 0 && lowered < 0.4 * before, `peak ${lowered.toFixed(3)} while ducked, ${before.toFixed(3)} before`);
    const done = await client.waitFor('response.done', () => true, 30000);
    assert.equal((done.response as { status: string }).status, 'completed');
    assert.ok(audioPeak(client.events.slice(resumedAt)) > 0.6 * before, 'full level after the duck');
    assertWholeAndUnannounced(client);
  } finally {
    client.close();
    await server.stop();
  }
});

test('plain OpenAI client, spoken answer, with the duck on (scheduler.duckMs 800): speech that outlasts the duck pauses the answer (nothing sent), and a question then cuts it', async () => {
  const { server, client } = await spokenAnswer(['<1>'], { duckMs: 800 });
  try {
    await streamAudio(client, overQuiet(question), 1);
    const cancelled = await client.waitFor('response.done', (e) => (e.response as { status: string }).status === 'cancelled', 10000);
    const ducked = index(client.events, 'duet.response.ducked');
    const paused = index(client.events, 'duet.response.paused');
    assert.ok(ducked >= 0 && ducked < paused, `ducked ${ducked}, then paused ${paused}`);
    const cancelledAt = client.events.indexOf(cancelled);
    const sentWhilePaused = client.events.slice(paused, cancelledAt).filter((e) => e.type === 'response.output_audio.delta');
    assert.equal(sentWhilePaused.length, 0);
    assert.ok(index(client.events, 'input_audio_buffer.speech_started') < cancelledAt);
  } finally {
    client.close();
    await server.stop();
  }
});

// The assistant must not hear itself: a client plays the spoken answer (real espeak-ng) through
// a simulated room into its microphone in real time (test/support/loopback.ts), through the
// real socket, real Silero VAD, real scheduler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scriptFile, startServer, type TestServer } from '../support/server.js';
import { TestClient, type Ev } from '../support/client.js';
import { LoopbackClient } from '../support/loopback.js';
import { espeakAvailable, speak } from '../support/espeak.js';
import { ROOMS, atLevel, echoGainFor } from '../support/room.js';
import { speexAvailability } from '../../server/audio/echo/speex.js';

const ANSWER = 'The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes. Later on, the moon rises over the hills, and the fox walks home through the tall grass.';
const skip = !espeakAvailable() ? 'espeak-ng is not installed' : !speexAvailability().available ? 'libspeexdsp1 is not installed' : false;
const ROOM = ROOMS[0]!;
/** The user's voice level; the echo is set relative to it. */
const USER_DBFS = -26;

interface Session {
  server: TestServer;
  client: TestClient;
  loopback: LoopbackClient;
}

async function open(echoDb: number, session: Record<string, unknown> = {}, script: Record<string, unknown> = {}): Promise<Session> {
  const server = await startServer({ voice: { leadMs: 300 }, models: { chat: { kind: 'scripted', script: scriptFile({ replies: [{ text: ANSWER }, { text: ANSWER }, { text: 'Okay.' }], tokenDelayMs: 5, ...script }) } } });
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { output_modalities: ['audio'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } }, ...session } });
  await client.waitFor('session.updated');
  const gain = echoGainFor(speak(ANSWER)!, ROOM, 10 ** (USER_DBFS / 20), echoDb);
  const loopback = new LoopbackClient(client, { room: ROOM, echoGain: gain });
  loopback.start();
  return { server, client, loopback };
}

async function close(s: Session): Promise<void> {
  s.loopback.stop();
  s.client.close();
  await s.server.stop();
}

/** Asks by text; the answer is spoken. */
function ask(client: TestClient): void {
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the fox.' }] } });
  client.send({ type: 'response.create' });
}

const types = (events: Ev[], type: string) => events.filter((e) => e.type === type);

test('an answer played back into the microphone at 0 dB completes with no speech_started or pause', { skip }, async () => {
  const s = await open(0);
  try {
    await new Promise((r) => setTimeout(r, 500)); // the microphone runs before the answer, as in a real session
    ask(s.client);
    const done = await s.client.waitFor('response.done', () => true, 40000);
    await new Promise((r) => setTimeout(r, 700)); // the echo of the last sent audio has played out
    assert.equal((done.response as { status: string }).status, 'completed');
    assert.deepEqual(types(s.client.events, 'input_audio_buffer.speech_started'), [], 'the assistant heard itself');
    assert.deepEqual(types(s.client.events, 'duet.response.paused'), []);
    assert.ok(s.loopback.receivedSamples > 8 * 16000, `the answer was played (${s.loopback.receivedSamples / 16} ms)`);
    assert.ok((await s.server.metrics.registry.getSingleMetricAsString('duet_echo_suppressed_onsets_total')).match(/total \d+/), 'the counter is exported');
    assert.deepEqual(s.client.violations, []);
  } finally {
    await close(s);
  }
});

test('a spoken barge-in over the 0 dB echo is still honoured: speech_started, answer paused', { skip }, async () => {
  const s = await open(0);
  try {
    await new Promise((r) => setTimeout(r, 500));
    ask(s.client);
    await s.client.waitFor('response.output_audio.delta', () => true, 20000);
    await new Promise((r) => setTimeout(r, 5000));
    assert.deepEqual(types(s.client.events, 'input_audio_buffer.speech_started'), [], 'no onset from the echo before the user speaks');
    const from = s.client.events.length;
    s.loopback.say(atLevel(speak('Wait, stop please. I have a question about the river.', 'en-gb+f3')!, USER_DBFS));
    const started = await s.client.waitFor('input_audio_buffer.speech_started', () => true, 6000, from);
    const paused = await s.client.waitFor('duet.response.paused', () => true, 6000, from);
    const done = s.client.events.findIndex((e) => e.type === 'response.done');
    assert.ok(done < 0 || done > s.client.events.indexOf(paused), 'paused while the answer was still speaking');
    assert.ok(s.client.events.indexOf(started) < s.client.events.indexOf(paused));
  } finally {
    await close(s);
  }
});

test('with duet.echo_cancellation false the session behaves as before: its echo starts speech', { skip }, async () => {
  const s = await open(0, { duet: { echo_cancellation: false } });
  try {
    const updated = types(s.client.events, 'session.updated').at(-1)!;
    assert.equal((updated.session as { duet: { echo_cancellation: boolean } }).duet.echo_cancellation, false);
    const created = types(s.client.events, 'session.created')[0]!;
    assert.equal((created.session as { duet: { echo_cancellation: boolean } }).duet.echo_cancellation, true, 'on by default');
    s.client.send({ type: 'session.update', event_id: 'bad', session: { duet: { echo_cancellation: 'off' } } });
    assert.equal(((await s.client.errorFor('bad')).error as { code: string }).code, 'invalid_value');
    ask(s.client);
    await s.client.waitFor('input_audio_buffer.speech_started', () => true, 15000);
  } finally {
    await close(s);
  }
});

test('reference accounting through the socket: every sample sent is tapped once; an interrupted answer is cut by what the client drops', { skip }, async () => {
  const s = await open(-20);
  try {
    ask(s.client);
    await s.client.waitFor('response.done', () => true, 40000);
    const session = s.server.registry.list()[0]!;
    const reference = session.audio.echo.outputReference!;
    reference.cut(Number.POSITIVE_INFINITY); // flush the resampler's tail
    const sentBytes = types(s.client.events, 'response.output_audio.delta').reduce((n, e) => n + Buffer.from(e.delta as string, 'base64').length, 0);
    // 24 kHz PCM16 -> 16 kHz: two thirds of the samples (the resampler rounds each run up by at most one).
    const expected = (sentBytes / 2) * (2 / 3);
    assert.ok(Math.abs(reference.writtenSamples - expected) <= 2, `tapped ${reference.writtenSamples}, sent ${expected}`);
    assert.equal(reference.erasedSamples, 0);

    // A second answer interrupted mid-way: the audio sent ahead (lead 300 ms) is cut. (It starts
    // once the first has played out: a new answer queues behind audio still playing, which the
    // reference knows and the pacer's stale_audio_ms does not count.)
    await new Promise((r) => setTimeout(r, 700));
    const from = s.client.events.length;
    ask(s.client);
    await s.client.waitFor('response.output_audio.delta', () => true, 20000, from);
    await new Promise((r) => setTimeout(r, 1500));
    ask(s.client); // a text query interrupts the answer (state <3>): duet.output_audio.clear
    const done = await s.client.waitFor('response.done', () => true, 10000, from);
    assert.equal((done.response as { status: string }).status, 'cancelled');
    // What the reference erased is what the server told the client to drop (duet.output_audio.clear).
    const clear = await s.client.waitFor('duet.output_audio.clear', () => true, 5000, from);
    const staleMs = clear.stale_audio_ms as number;
    assert.ok(staleMs > 0);
    assert.ok(Math.abs(reference.erasedSamples / 16 - staleMs) <= 30, `erased ${reference.erasedSamples / 16} ms, stale ${staleMs} ms`);
  } finally {
    await close(s);
  }
});

test('a barge-in judged noise (<2>): the answer resumes and the reference goes on with it, nothing lost or duplicated', { skip }, async () => {
  const s = await open(0, {}, { decisions: ['<2>'] });
  try {
    await new Promise((r) => setTimeout(r, 500));
    ask(s.client);
    await s.client.waitFor('response.output_audio.delta', () => true, 20000);
    await new Promise((r) => setTimeout(r, 5000));
    s.loopback.say(atLevel(speak('Yeah okay then', 'en-gb+f3')!, USER_DBFS)); // one phrase, no pause: one segment
    await s.client.waitFor('duet.response.paused', () => true, 8000);
    await s.client.waitFor('duet.response.resumed', () => true, 8000);
    const done = await s.client.waitFor('response.done', () => true, 40000);
    assert.equal((done.response as { status: string }).status, 'completed');
    const reference = s.server.registry.list()[0]!.audio.echo.outputReference!;
    reference.cut(Number.POSITIVE_INFINITY);
    const sentBytes = types(s.client.events, 'response.output_audio.delta').reduce((n, e) => n + Buffer.from(e.delta as string, 'base64').length, 0);
    assert.ok(Math.abs(reference.writtenSamples - (sentBytes / 2) * (2 / 3)) <= 2, `tapped ${reference.writtenSamples}, sent ${(sentBytes / 3)}`);
    assert.equal(reference.erasedSamples, 0, 'a pause cuts nothing: the audio sent before it still plays');
    // Only the one onset: the resumed answer's echo did not start another (the filter adapted
    // while the user spoke over the echo; the leak estimate restarts higher when the voice returns).
    assert.equal(types(s.client.events, 'input_audio_buffer.speech_started').length, 1);
  } finally {
    await close(s);
  }
});

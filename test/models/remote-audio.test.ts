import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createRemoteModelSet, RemoteEngineError, type RemoteModelSet } from '../../models/remote/index.js';
import type { SpeechChunk, TranscriptionEvent } from '../../models/types.js';
import { captureLog, endpointFor, FakeEngine, sine, startFakeEngine } from '../support/fake-engine.js';

describe('remote ASR and TTS', () => {
  let engine: FakeEngine;
  let set: RemoteModelSet;

  before(async () => {
    engine = await startFakeEngine({ modelIds: ['whisper', 'tts-1'] });
  });
  after(async () => {
    await set?.close();
    await engine.close();
  });
  beforeEach(async () => {
    await set?.close();
    engine.requests.length = 0;
    set = createRemoteModelSet(
      {
        cacheDir: '.cache/models',
        chat: null,
        asr: { kind: 'remote', endpoint: endpointFor(engine, { model: 'whisper' }) },
        tts: { kind: 'remote', endpoint: endpointFor(engine, { model: 'tts-1' }), defaultVoice: 'alloy' },
      },
      captureLog(),
      { probeOnStart: false, reprobeIntervalMs: 0, sleep: async () => {} },
    );
  });

  test('transcribe posts a 16 kHz PCM16 WAV as multipart and yields the text', async () => {
    const samples = new Float32Array(16000);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.sin(i / 10) * 0.5;
    samples[0] = 1.5; // out of range: clamped
    samples[1] = -1;
    engine.script('transcriptions', { kind: 'transcription', text: ' Turn on the lights. ' });
    const events: TranscriptionEvent[] = [];
    for await (const e of set.asr!.transcribe({ segment: { samples, sampleRate: 16000, startMs: 0, endMs: 1000 }, language: 'en', prompt: 'lights' })) events.push(e);
    assert.deepEqual(events[0], { type: 'delta', text: 'Turn on the lights.' });
    assert.equal(events[1]!.type, 'done');
    assert.equal((events[1] as { text: string }).text, 'Turn on the lights.');

    const [req] = engine.requestsFor('transcriptions');
    const form = req!.form!;
    assert.equal(form.fields.model, 'whisper');
    assert.equal(form.fields.language, 'en');
    assert.equal(form.fields.prompt, 'lights');
    assert.equal(form.fields.response_format, 'json');
    const wav = form.files.file!;
    assert.equal(wav.contentType, 'audio/wav');
    assert.equal(wav.data.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.data.toString('ascii', 8, 12), 'WAVE');
    assert.equal(wav.data.readUInt16LE(22), 1, 'mono');
    assert.equal(wav.data.readUInt32LE(24), 16000);
    assert.equal(wav.data.readUInt16LE(34), 16);
    assert.equal(wav.data.readUInt32LE(40), samples.length * 2);
    assert.equal(wav.data.readInt16LE(44), 32767);
    assert.equal(wav.data.readInt16LE(46), -32768);
    assert.equal(wav.data.readInt16LE(44 + 2 * 100), Math.round(Math.sin(10) * 0.5 * (Math.sin(10) < 0 ? 32768 : 32767)));
  });

  test('transcription errors carry the asr role; 5xx is retried', async () => {
    engine.script('transcriptions', { kind: 'status', status: 500 }, { kind: 'transcription', text: 'ok' });
    const events: TranscriptionEvent[] = [];
    for await (const e of set.asr!.transcribe({ segment: { samples: new Float32Array(10), sampleRate: 16000, startMs: 0, endMs: 1 } })) events.push(e);
    assert.equal((events.at(-1) as { text: string }).text, 'ok');
    engine.script('transcriptions', { kind: 'raw', contentType: 'application/json', body: '{"nope":1}' });
    await assert.rejects(
      (async () => {
        for await (const _ of set.asr!.transcribe({ segment: { samples: new Float32Array(10), sampleRate: 16000, startMs: 0, endMs: 1 } }));
      })(),
      (err: unknown) => err instanceof RemoteEngineError && err.code === 'engine_protocol_error' && err.role === 'asr',
    );
  });

  test('synthesize requests raw 24 kHz PCM and yields chunks as bytes arrive (odd chunk sizes carried)', async () => {
    const pcm = sine(2400, 24000);
    engine.script('speech', { kind: 'speech', pcm, chunkBytes: 333, chunkDelayMs: 1 });
    const chunks: SpeechChunk[] = [];
    for await (const c of set.tts!.synthesize({ text: 'Hello there.', speed: 1.25 })) chunks.push(c);
    const [req] = engine.requestsFor('speech');
    assert.deepEqual(req!.json, { model: 'tts-1', input: 'Hello there.', voice: 'alloy', response_format: 'pcm', speed: 1.25 });
    assert.ok(chunks.length > 5, 'several chunks, not one buffered body');
    assert.ok(chunks.every((c) => c.sampleRate === 24000));
    const all = Float32Array.from(chunks.flatMap((c) => [...c.samples]));
    assert.equal(all.length, pcm.length);
    for (let i = 0; i < pcm.length; i++) assert.equal(all[i], pcm[i]! / 32768);
  });

  test('a WAV body (engine ignoring response_format) is parsed for its rate and data', async () => {
    const pcm = sine(800, 22050);
    engine.script('speech', { kind: 'speech', pcm, wav: true, sampleRate: 22050, chunkBytes: 7 });
    const chunks: SpeechChunk[] = [];
    for await (const c of set.tts!.synthesize({ text: 'x', voice: 'nova' })) chunks.push(c);
    assert.equal(engine.requestsFor('speech')[0]!.json.voice, 'nova');
    assert.ok(chunks.every((c) => c.sampleRate === 22050));
    const all = chunks.flatMap((c) => [...c.samples]);
    assert.equal(all.length, 800);
    assert.equal(all[123], pcm[123]! / 32768);
  });

  test('abort mid-speech ends the iteration and closes the connection at the engine', async () => {
    engine.script('speech', { kind: 'speech', chunkBytes: 480, ending: 'hang', endAfterChunks: 2 });
    const controller = new AbortController();
    let got = 0;
    // Abort on the first chunk: the engine's two writes may reach the client as one read (one chunk),
    // after which it hangs; waiting for a second chunk would then wait for the idle timeout.
    for await (const _ of set.tts!.synthesize({ text: 'long answer', signal: controller.signal })) {
      got++;
      controller.abort();
    }
    assert.equal(got, 1);
    const closed = await engine.requestsFor('speech')[0]!.closed;
    assert.equal(closed.byClient, true);
  });

  test('engine dying mid-speech: engine_disconnected with outputStarted, no replay', async () => {
    engine.script('speech', { kind: 'speech', chunkBytes: 480, ending: 'destroy', endAfterChunks: 2 });
    let got = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of set.tts!.synthesize({ text: 'x' })) got++;
      })(),
      (err: unknown) => err instanceof RemoteEngineError && err.code === 'engine_disconnected' && err.outputStarted && err.role === 'tts',
    );
    assert.ok(got >= 1);
    assert.equal(engine.requestsFor('speech').length, 1);
  });

  test('429 before any audio is retried', async () => {
    engine.script('speech', { kind: 'status', status: 429, retryAfter: '0' }, { kind: 'speech', pcm: sine(100, 24000) });
    let samples = 0;
    for await (const c of set.tts!.synthesize({ text: 'x' })) samples += c.samples.length;
    assert.equal(samples, 100);
    assert.equal(engine.requestsFor('speech').length, 2);
  });

  test('a JSON body instead of audio is a protocol error', async () => {
    engine.script('speech', { kind: 'raw', contentType: 'application/json', body: '{"audio":"..."}' });
    await assert.rejects(
      (async () => {
        for await (const _ of set.tts!.synthesize({ text: 'x' }));
      })(),
      (err: unknown) => err instanceof RemoteEngineError && err.code === 'engine_protocol_error',
    );
  });
});

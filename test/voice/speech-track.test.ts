import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeechTrack, type SpeechFrame } from '../../server/voice/speech-track.js';
import { AudioPacer } from '../../server/voice/pacer.js';
import { ManualClock, settle } from '../../server/voice/clock.js';
import { decodeOutputAudio, type OutputAudioFormat } from '../../server/voice/output-format.js';
import { FakeSynthesizer } from '../../models/tts/fake/fake-synthesizer.js';

const ANSWER = 'Sure, here is the plan. First we boil the water, then we add the pasta. It takes ten minutes!';

async function collect(track: SpeechTrack): Promise<SpeechFrame[]> {
  const frames: SpeechFrame[] = [];
  for await (const frame of track) frames.push(frame);
  return frames;
}

function pushInTokens(track: SpeechTrack, text: string): void {
  for (const token of text.match(/\S+\s*/g) ?? []) track.pushText(token);
}

for (const format of ['audio/pcm', 'audio/pcmu'] as OutputAudioFormat[]) {
  test(`${format}: frames carry the whole text once, on each clause's first frame, with contiguous audio`, async () => {
    const tts = new FakeSynthesizer({ sampleRate: 16000, msPerChar: 40 });
    const track = new SpeechTrack({ tts, format, minChunkChars: 8, frameMs: 100 });
    pushInTokens(track, ANSWER);
    track.endText();
    const frames = await collect(track);
    assert.equal(frames.map((f) => f.text).join(''), ANSWER);
    assert.deepEqual(tts.requests, ['Sure, here is the plan.', ' First we boil the water,', ' then we add the pasta.', ' It takes ten minutes!']);
    let at = 0;
    for (const frame of frames) {
      assert.ok(Math.abs(frame.startMs - at) < 1e-6, 'frames are back to back');
      assert.ok(frame.durationMs <= 100 + 1e-6);
      at += frame.durationMs;
      const first = frames.find((f) => f.chunkIndex === frame.chunkIndex);
      assert.equal(frame.text !== '', frame === first, 'text only on a clause first frame');
    }
    const expectedMs = tts.requests.reduce((ms, text) => ms + tts.plan(text).at(-1)!.endMs, 0);
    assert.ok(Math.abs(at - expectedMs) < 1, `audio ${at} ms, synthesized ${expectedMs} ms`);
    const decodedSamples = frames.reduce((n, f) => n + decodeOutputAudio(format, f.audio).length, 0);
    assert.equal(decodedSamples, Math.round((at * (format === 'audio/pcm' ? 24000 : 8000)) / 1000));
  });
}

test('speech starts at the first clause while the text is still being generated', async () => {
  const tts = new FakeSynthesizer();
  const track = new SpeechTrack({ tts });
  const iterator = track[Symbol.asyncIterator]();
  track.pushText('Hello there my friend. And');
  const first = await iterator.next();
  assert.equal(first.done, false);
  assert.equal((first.value as SpeechFrame).text, 'Hello there my friend.');
  assert.deepEqual(tts.requests, ['Hello there my friend.']);
  track.cancel();
});

test('synthesis runs at most chunksAhead clauses beyond the one being taken', async () => {
  const tts = new FakeSynthesizer();
  const track = new SpeechTrack({ tts, chunksAhead: 1 });
  pushInTokens(track, 'One two three four. Five six seven eight. Nine ten eleven twelve. Thirteen fourteen fifteen.');
  track.endText();
  await settle();
  assert.equal(tts.requests.length, 2, 'clause 0 and one ahead, nothing taken yet');
  const iterator = track[Symbol.asyncIterator]();
  let frame = (await iterator.next()).value as SpeechFrame;
  while (frame.chunkIndex === 0) frame = (await iterator.next()).value as SpeechFrame;
  await settle();
  assert.equal(tts.requests.length, 3, 'taking clause 1 allows clause 2');
  assert.equal(frame.text, ' Five six seven eight.');
  track.cancel();
});

test('markdown is not read out, but stays in the transcript', async () => {
  const tts = new FakeSynthesizer();
  const track = new SpeechTrack({ tts });
  track.pushText('## Steps\n- **Boil** the `water` first.');
  track.endText();
  const frames = await collect(track);
  assert.equal(frames.map((f) => f.text).join(''), '## Steps\n- **Boil** the `water` first.');
  assert.deepEqual(tts.requests.map((r) => r.trim()), ['Steps', 'Boil the water first.']);
});

test('a clause with nothing to speak still delivers its text, with empty audio', async () => {
  const track = new SpeechTrack({ tts: new FakeSynthesizer(), minChunkChars: 1 });
  track.pushText('Done. ** ');
  track.endText();
  const frames = await collect(track);
  assert.equal(frames.map((f) => f.text).join(''), 'Done. ** ');
  const silent = frames.filter((f) => f.audio.length === 0);
  assert.deepEqual(silent.map((f) => [f.text, f.durationMs]), [[' ** ', 0]]);
});

test('truncateAt with word timings keeps the words whose middle was played', async () => {
  const tts = new FakeSynthesizer({ msPerChar: 50 });
  const track = new SpeechTrack({ tts });
  track.pushText('Alpha beta gamma delta. Epsilon zeta eta.');
  track.endText();
  await collect(track);
  // Clause 1: Alpha 0-250, beta 250-450, gamma 450-700, "delta." 700-1000.
  assert.equal(track.truncateAt(0), '');
  assert.equal(track.truncateAt(124), '');
  assert.equal(track.truncateAt(125), 'Alpha');
  assert.equal(track.truncateAt(349), 'Alpha');
  assert.equal(track.truncateAt(350), 'Alpha beta');
  assert.equal(track.truncateAt(850), 'Alpha beta gamma delta.');
  // Clause 2 " Epsilon zeta eta." from 1000: Epsilon 1000-1350, zeta 1350-1550, "eta." 1550-1750.
  assert.equal(track.truncateAt(1174), 'Alpha beta gamma delta.');
  assert.equal(track.truncateAt(1175), 'Alpha beta gamma delta. Epsilon');
  assert.equal(track.truncateAt(1e9), 'Alpha beta gamma delta. Epsilon zeta eta.');
});

test('truncateAt without word timings counts a clause when more than half of it was played', async () => {
  const tts = new FakeSynthesizer({ msPerChar: 50, wordTimings: false });
  const track = new SpeechTrack({ tts });
  track.pushText('Alpha beta gamma delta. Epsilon zeta eta.');
  track.endText();
  await collect(track);
  // Clause 1 lasts 1000 ms, clause 2 750 ms from 1000.
  assert.equal(track.truncateAt(500), '');
  assert.equal(track.truncateAt(501), 'Alpha beta gamma delta.');
  assert.equal(track.truncateAt(1375), 'Alpha beta gamma delta.');
  assert.equal(track.truncateAt(1376), 'Alpha beta gamma delta. Epsilon zeta eta.');
});

test('interrupt mid-speech: no audio after the cancel, transcript truncated to the played milliseconds', async () => {
  const tts = new FakeSynthesizer({ msPerChar: 50 });
  const clock = new ManualClock();
  const track = new SpeechTrack({ tts, frameMs: 50 });
  const sent: SpeechFrame[] = [];
  const pacer = new AudioPacer(track, { leadMs: 300, clock, send: (f) => sent.push(f), onCancel: () => track.cancel() });
  const done = pacer.run();
  const answer = 'The weather today is sunny and warm. Tomorrow brings rain, so take an umbrella along with you.';
  pushInTokens(track, answer.slice(0, 60)); // the generator is still running when the user barges in
  await clock.advance(2100);
  const report = pacer.cancel();
  const sentAtCancel = sent.length;
  const requestsAtCancel = tts.requests.length;
  pushInTokens(track, answer.slice(60));
  track.endText();
  await clock.advance(5000);
  assert.equal(sent.length, sentAtCancel, 'no audio frame after the interrupt');
  assert.equal(await done, 'cancelled');
  assert.equal(report.playedMs, 2100);
  assert.ok(report.staleMs > 0 && report.staleMs <= 300, `stale ${report.staleMs} ms`);
  const sentMs = sent.reduce((ms, f) => ms + f.durationMs, 0);
  assert.ok(Math.abs(sentMs - report.sentMs) < 1e-6);
  // Expected heard text from the synthesizer's own word plan: clause 1 lasts
  // 1500 ms (30 letters); in clause 2 (from 1500) "Tomorrow" 1500-1900 and
  // "brings" 1900-2200 (middle 2050 < 2100), "rain," 2200-2450.
  assert.equal(tts.plan('The weather today is sunny and warm.').at(-1)!.endMs, 1500);
  assert.equal(track.truncateAt(report.playedMs), 'The weather today is sunny and warm. Tomorrow brings');
  assert.equal(tts.requests.length, requestsAtCancel, 'no synthesis after the interrupt');
  assert.deepEqual(tts.requests, ['The weather today is sunny and warm.', ' Tomorrow brings rain,']);
});

test('a synthesizer failure ends the track with the error after the audio before it', async () => {
  const fake = new FakeSynthesizer();
  const failing = {
    id: 'failing',
    voices: [],
    close: async () => {},
    async *synthesize(request: { text: string }) {
      if (request.text.includes('boom')) throw new Error('tts broke');
      yield* fake.synthesize({ text: request.text });
    },
  };
  const track = new SpeechTrack({ tts: failing });
  const sent: SpeechFrame[] = [];
  const pacer = new AudioPacer(track, { leadMs: 1e9, send: (f) => sent.push(f) });
  track.pushText('This part is fine. Then boom here.');
  track.endText();
  await assert.rejects(pacer.run(), /tts broke/);
  assert.equal(sent.map((f) => f.text).join(''), 'This part is fine.');
});

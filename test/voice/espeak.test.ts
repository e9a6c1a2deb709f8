import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { getPriority } from 'node:os';
import assert from 'node:assert/strict';
import { createEspeakSynthesizer, EngineUnavailableError, UnknownVoiceError, type EspeakSynthesizer } from '../../models/tts/espeak/index.js';
import type { EspeakEngineName } from '../../models/tts/espeak/engine.js';
import type { LibEspeakEngine } from '../../models/tts/espeak/libespeak-engine.js';
import { lowerPriority } from '../../models/tts/espeak/process-priority.js';
import type { SpeechChunk } from '../../models/types.js';
import { SpeechTrack } from '../../server/voice/speech-track.js';

const TEXT =
  'The quick brown fox jumps over the lazy dog near the river bank, and then it runs away into the forest to find its friends.';
const WORDS = TEXT.split(/\s+/);

async function synth(tts: EspeakSynthesizer, request: Partial<Parameters<EspeakSynthesizer['synthesize']>[0]> = {}): Promise<SpeechChunk[]> {
  const chunks: SpeechChunk[] = [];
  for await (const chunk of tts.synthesize({ text: TEXT, ...request })) chunks.push(chunk);
  return chunks;
}

function durationMs(chunks: SpeechChunk[]): number {
  return chunks.reduce((ms, c) => ms + (c.samples.length * 1000) / c.sampleRate, 0);
}

// The wasm engine must work after a plain `npm ci`; the Debian ones skip where not installed.
for (const engine of ['libespeak', 'cli', 'wasm'] as EspeakEngineName[]) {
  test(`espeak ${engine}: speech duration, speed, voices, abort`, async (t) => {
    let tts: EspeakSynthesizer;
    try {
      tts = await createEspeakSynthesizer({ engine });
    } catch (err) {
      if (engine !== 'wasm' && err instanceof EngineUnavailableError) return t.skip(err.message);
      throw err;
    }
    try {
      assert.equal(tts.id, `espeak:${engine}`);
      const normal = await synth(tts);
      const wpm = WORDS.length / (durationMs(normal) / 60_000);
      assert.ok(wpm > 110 && wpm < 260, `${wpm.toFixed(0)} words per minute at speed 1`);
      const level = Math.max(...normal.map((c) => c.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
      assert.ok(level > 0.05 && level <= 1, `peak ${level}`);

      const fast = durationMs(await synth(tts, { speed: 2 })) / durationMs(normal);
      assert.ok(fast > 0.4 && fast < 0.7, `speed 2 takes ${fast.toFixed(2)} of the time`);
      const slow = durationMs(await synth(tts, { speed: 0.6 })) / durationMs(normal);
      assert.ok(slow > 1.4 && slow < 2.1, `speed 0.6 takes ${slow.toFixed(2)} of the time`);

      const alloy = (await synth(tts, { voice: 'alloy', text: 'Hello there.' }))[0].samples;
      const coral = (await synth(tts, { voice: 'coral', text: 'Hello there.' }))[0].samples;
      assert.notDeepEqual(alloy.subarray(0, 4000), coral.subarray(0, 4000), 'voices differ');
      await assert.rejects(synth(tts, { voice: 'no such voice' }), UnknownVoiceError);
      await assert.rejects(synth(tts, { voice: 'zz' }), UnknownVoiceError);
      assert.deepEqual(await synth(tts, { text: '  ' }), []);

      const abort = new AbortController();
      let after = 0;
      for await (const chunk of tts.synthesize({ text: `${TEXT} `.repeat(20), signal: abort.signal })) {
        if (abort.signal.aborted) after += chunk.samples.length;
        abort.abort();
      }
      assert.equal(after, 0, 'no audio after the abort');
      assert.ok(durationMs(await synth(tts, { text: 'Still working.' })) > 300, 'usable after an abort');
    } finally {
      await tts.close();
    }
  });
}

test('espeak libespeak: word timings follow the text and the audio', async (t) => {
  let tts: EspeakSynthesizer;
  try {
    tts = await createEspeakSynthesizer({ engine: 'libespeak' });
  } catch (err) {
    return t.skip((err as Error).message);
  }
  try {
    assert.equal(tts.wordTimings, true);
    const text = 'Pi is 3.14, café naïve 😀 done.';
    const chunks = await synth(tts, { text });
    const words = chunks.flatMap((c) => c.words ?? []);
    assert.deepEqual(words.map((w) => w.text), text.split(' '));
    let last = 0;
    for (const word of words) {
      assert.ok(word.startMs >= last - 1e-9 && word.endMs > word.startMs, `${word.text} ${word.startMs}-${word.endMs}`);
      last = word.endMs;
    }
    assert.ok(last <= durationMs(chunks) + 1e-9);
    assert.ok(words[2].endMs - words[2].startMs > words[0].endMs - words[0].startMs, '"3.14" (four spoken words) lasts longer than "Pi"');
  } finally {
    await tts.close();
  }
});

test('a speech track on the default espeak engine: transcript and audio of a streamed answer', async () => {
  const tts = await createEspeakSynthesizer();
  try {
    const track = new SpeechTrack({ tts, format: 'audio/pcm' });
    for (const token of TEXT.match(/\S+\s*/g)!) track.pushText(token);
    track.endText();
    let text = '';
    let ms = 0;
    for await (const frame of track) {
      text += frame.text;
      ms += frame.durationMs;
    }
    assert.equal(text, TEXT);
    const wpm = WORDS.length / (ms / 60_000);
    assert.ok(wpm > 100 && wpm < 260, `${wpm.toFixed(0)} words per minute through the track`);
    const half = track.truncateAt(ms / 2);
    assert.ok(half.length > TEXT.length * 0.2 && half.length < TEXT.length * 0.8, `half the audio: "${half}"`);
    assert.ok(TEXT.startsWith(half));
  } finally {
    await tts.close();
  }
});

test('auto falls back to the WebAssembly engine when Debian espeak-ng is missing, and says why', async () => {
  const tts = await createEspeakSynthesizer({ python: 'duet-no-such-python', program: 'duet-no-such-espeak' });
  try {
    assert.equal(tts.id, 'espeak:wasm');
    assert.match(tts.skipped.libespeak ?? '', /duet-no-such-python|ENOENT/);
    assert.match(tts.skipped.cli ?? '', /duet-no-such-espeak|ENOENT/);
    const chunks = await synth(tts, { text: 'Fallback works.' });
    assert.ok(durationMs(chunks) > 500);
  } finally {
    await tts.close();
  }
});

test('espeak libespeak: a dead worker is replaced on the next request', async (t) => {
  let tts: EspeakSynthesizer;
  try {
    tts = await createEspeakSynthesizer({ engine: 'libespeak' });
  } catch (err) {
    return t.skip((err as Error).message);
  }
  try {
    const engine = tts.engine as LibEspeakEngine;
    const pid = engine.workerPid!;
    process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const chunks = await synth(tts, { text: 'Back again.' });
    assert.ok(durationMs(chunks) > 300);
    assert.notEqual(engine.workerPid, pid);
  } finally {
    await tts.close();
  }
});

test('espeak libespeak: the worker runs at a lower CPU priority (niceness 10 by default, as configured, 0 keeps the server\'s), a replaced one too', async (t) => {
  const server = getPriority();
  for (const [niceness, expected] of [[undefined, Math.max(server, 10)], [15, Math.max(server, 15)], [0, server]] as const) {
    let tts: EspeakSynthesizer;
    try {
      tts = await createEspeakSynthesizer({ engine: 'libespeak', niceness });
    } catch (err) {
      return t.skip((err as Error).message);
    }
    try {
      const engine = tts.engine as LibEspeakEngine;
      assert.equal(getPriority(engine.workerPid!), expected, `niceness ${niceness}`);
      if (niceness === 15) {
        process.kill(engine.workerPid!, 'SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(durationMs(await synth(tts, { text: 'Back again.' })) > 300);
        assert.equal(getPriority(engine.workerPid!), expected, 'the replacement worker');
      }
    } finally {
      await tts.close();
    }
  }
});

test('lowerPriority: sets a process\'s niceness (capped at 19); 0 and an unknown pid do nothing', async () => {
  const child = spawn('sleep', ['5']);
  try {
    const before = getPriority(child.pid!);
    lowerPriority(child.pid, 0);
    assert.equal(getPriority(child.pid!), before);
    lowerPriority(child.pid, 25);
    assert.equal(getPriority(child.pid!), 19);
    lowerPriority(undefined, 10);
  } finally {
    child.kill();
  }
});

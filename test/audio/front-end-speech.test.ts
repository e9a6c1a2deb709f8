// The front-end with the real Silero model on speech: synthesized layouts with known
// onsets/offsets (test/fixtures/speech, made by scripts/fixtures/make_speech_layouts.py)
// and the human clips of ../shared/audio/alphanumeric (used in place; skipped when absent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AudioFrontEnd, type FrontEndTuning } from '../../server/audio/front-end.js';
import { encodeMuLaw } from '../../server/audio/g711.js';
import { InputAudioDecoder } from '../../server/audio/input-decoder.js';
import { melPreset } from '../../server/audio/mel/index.js';
import { resample } from '../../server/audio/resample.js';
import type { ServerVadSettings, TurnEvent } from '../../server/audio/types.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { SileroModel, type SileroVersion } from '../../server/audio/vad/silero.js';
import type { AudioSegment } from '../../models/types.js';
import { readWav } from '../support/wav.js';

const FIXTURES = new URL('../fixtures/speech/', import.meta.url);
const ALPHANUMERIC = fileURLToPath(new URL('../../../shared/audio/alphanumeric/', import.meta.url));
// The config defaults (server/config/sections/audio.ts).
const TUNING: FrontEndTuning = { negativeThresholdOffset: 0.15, minSpeechMs: 250, maxSegmentMs: 30000, maxVadBacklogMs: 600000, vadStateResetMs: 5000 };
const VAD: ServerVadSettings = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 0, silence_duration_ms: 500 };
const TOLERANCE_MS = 100;

interface Truth {
  file: string;
  turns: { onsetMs: number; offsetMs: number }[];
}


const models = new Map<SileroVersion, SileroModel>();
before(async () => {
  models.set('v5', await SileroModel.load({ version: 'v5' }));
  models.set('v4', await SileroModel.load({ version: 'v4' }));
});
after(async () => {
  for (const m of models.values()) await m.release();
});

/** Streams 16 kHz audio through a front-end in 20 ms chunks (as a client would) and collects the events. */
async function listen(audio: Float32Array, version: SileroVersion = 'v5', vad: ServerVadSettings = VAD): Promise<TurnEvent[]> {
  const events: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(models.get(version)!),
    mel: melPreset('whisper'),
    turnDetection: vad,
    tuning: TUNING,
    onEvent: (e) => events.push(e),
    onError: (e) => {
      throw e;
    },
  });
  for (let i = 0; i < audio.length; i += 320) {
    frontEnd.push(audio.subarray(i, i + 320));
    if (i % 16000 === 0) await frontEnd.whenIdle();
  }
  await frontEnd.whenIdle();
  frontEnd.close();
  return events;
}

function segmentsOf(events: TurnEvent[]): AudioSegment[] {
  return events.flatMap((e) => (e.type === 'segment' ? [e.segment] : []));
}

function assertExactAccounting(audio: Float32Array, segments: AudioSegment[]): void {
  let previousEnd = 0;
  for (const s of segments) {
    assert.ok(s.startMs * 16 >= previousEnd, 'segments overlap');
    assert.deepEqual(s.samples, audio.subarray(s.startMs * 16, s.endMs * 16));
    previousEnd = s.endMs * 16;
  }
}

/** Detected turns (speech_started..speech_stopped; padding 0 so the start is the onset). */
function turnsOf(events: TurnEvent[]): { onsetMs: number; offsetMs: number }[] {
  const turns: { onsetMs: number; offsetMs: number }[] = [];
  for (const e of events) {
    if (e.type === 'speech_started') turns.push({ onsetMs: e.audioStartMs, offsetMs: NaN });
    if (e.type === 'speech_stopped') turns[turns.length - 1].offsetMs = e.audioEndMs;
  }
  return turns;
}

function layouts(): Truth[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')) as Truth);
}

for (const version of ['v5', 'v4'] as const) {
  for (const truth of layouts()) {
    test(`Silero ${version} on ${truth.file}: turns within ${TOLERANCE_MS} ms of the truth, exact samples`, async (t) => {
      const audio = readWav(new URL(truth.file, FIXTURES));
      const events = await listen(audio, version);
      const turns = turnsOf(events);
      t.diagnostic(`truth ${JSON.stringify(truth.turns.map((x) => [Math.round(x.onsetMs), Math.round(x.offsetMs)]))} detected ${JSON.stringify(turns.map((x) => [x.onsetMs, x.offsetMs]))}`);
      assert.equal(turns.length, truth.turns.length, 'one detected turn per true turn (noise bursts are not turns)');
      turns.forEach((turn, i) => {
        assert.ok(Math.abs(turn.onsetMs - truth.turns[i].onsetMs) <= TOLERANCE_MS, `onset ${turn.onsetMs} vs ${truth.turns[i].onsetMs}`);
        assert.ok(Math.abs(turn.offsetMs - truth.turns[i].offsetMs) <= TOLERANCE_MS, `offset ${turn.offsetMs} vs ${truth.turns[i].offsetMs}`);
      });
      const segments = segmentsOf(events);
      assert.equal(segments.length, turns.length);
      assertExactAccounting(audio, segments);
      for (const s of segments) assert.equal(s.mel?.frames, Math.ceil(s.endMs / 10) - Math.ceil(s.startMs / 10));
    });
  }
}

test('silence and steady noise give no segment', async () => {
  let seed = 7;
  const noise = Float32Array.from({ length: 16000 * 5 }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed / 2 ** 32 - 0.5) * 0.2;
  });
  for (const audio of [new Float32Array(16000 * 5), noise]) assert.deepEqual(await listen(audio), []);
});

test('prefix padding: speech_started reports the onset minus the padding', async () => {
  const truth = layouts().find((l) => l.file === 'two-turns-clean.wav')!;
  const audio = readWav(new URL(truth.file, FIXTURES));
  const plain = turnsOf(await listen(audio));
  const padded = turnsOf(await listen(audio, 'v5', { ...VAD, prefix_padding_ms: 300 }));
  assert.deepEqual(
    padded.map((x) => x.onsetMs),
    plain.map((x) => x.onsetMs - 300),
  );
});

test('through the input decoder: 24 kHz PCM16 and 8 kHz mu-law give the same turns', async (t) => {
  const truth = layouts().find((l) => l.file === 'pause-within-turn.wav')!;
  const audio = readWav(new URL(truth.file, FIXTURES));
  const pcm24 = Int16Array.from(resample(audio, 16000, 24000), (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
  const pcm8 = Int16Array.from(resample(audio, 16000, 8000), (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
  for (const [format, bytes] of [
    [{ type: 'audio/pcm', rate: 24000 } as const, new Uint8Array(pcm24.buffer)],
    [{ type: 'audio/pcmu' } as const, encodeMuLaw(pcm8)],
  ] as const) {
    const decoder = new InputAudioDecoder(format);
    const step = format.type === 'audio/pcm' ? 960 : 160; // 20 ms messages
    const parts: Float32Array[] = [];
    for (let i = 0; i < bytes.length; i += step) parts.push(decoder.decode(bytes.subarray(i, i + step)));
    parts.push(decoder.flush());
    const decoded = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (decoded.set(p, at), at + p.length), 0);
    const turns = turnsOf(await listen(decoded));
    t.diagnostic(`${format.type}: ${JSON.stringify(turns.map((x) => [x.onsetMs, x.offsetMs]))}`);
    assert.equal(turns.length, truth.turns.length, format.type);
    turns.forEach((turn, i) => {
      assert.ok(Math.abs(turn.onsetMs - truth.turns[i].onsetMs) <= TOLERANCE_MS, `${format.type} onset ${turn.onsetMs}`);
      assert.ok(Math.abs(turn.offsetMs - truth.turns[i].offsetMs) <= TOLERANCE_MS, `${format.type} offset ${turn.offsetMs}`);
    });
  }
});

/**
 * Truth for a human clip: first/last 10 ms frame within 30 dB of the clip's loudest frame (and
 * 12 dB over its quietest tenth). It counts weak fricatives and decaying tails as speech, which
 * Silero (voiced-speech driven) reports later / earlier: hence the statistical bounds below.
 */
function energyTruth(x: Float32Array): { onsetMs: number; offsetMs: number } {
  const db: number[] = [];
  for (let s = 0; s + 160 <= x.length; s += 160) {
    let e = 0;
    for (let i = s; i < s + 160; i++) e += x[i] * x[i];
    db.push(10 * Math.log10(e / 160 + 1e-12));
  }
  const sorted = [...db].sort((a, b) => a - b);
  const level = Math.max(sorted[Math.floor(db.length * 0.1)] + 12, sorted[db.length - 1] - 30);
  const first = db.findIndex((v) => v > level);
  let last = db.length - 1;
  while (db[last] <= level) last--;
  return { onsetMs: first * 10, offsetMs: (last + 1) * 10 };
}

for (const version of ['v5'] as const) test(`Silero ${version} (the default) on real speech (../shared/audio/alphanumeric, 220 human clips in one stream): every clip one turn, onsets/offsets near the truth`, async (t) => {
  if (!existsSync(ALPHANUMERIC)) {
    t.skip('../shared/audio/alphanumeric absent');
    return;
  }
  const clips = readdirSync(ALPHANUMERIC)
    .sort()
    .flatMap((d) => readdirSync(ALPHANUMERIC + d).sort().map((f) => `${ALPHANUMERIC}${d}/${f}`))
    .filter((f) => f.endsWith('.wav'));
  // One stream: 1 s of silence, then each clip followed by 1.5 s of silence.
  const gap = 24000;
  const pieces: Float32Array[] = [new Float32Array(16000)];
  const truths: { onsetMs: number; offsetMs: number }[] = [];
  let at = 16000;
  for (const clip of clips) {
    const x = readWav(clip);
    const truth = energyTruth(x);
    truths.push({ onsetMs: at / 16 + truth.onsetMs, offsetMs: at / 16 + truth.offsetMs });
    pieces.push(x, new Float32Array(gap));
    at += x.length + gap;
  }
  const audio = new Float32Array(at);
  pieces.reduce((offset, p) => (audio.set(p, offset), offset + p.length), 0);
  const events = await listen(audio, version, { ...VAD, prefix_padding_ms: 300 });
  const segments = segmentsOf(events);
  assertExactAccounting(audio, segments);
  // Match each truth with the segment overlapping it.
  let onsetOk = 0;
  let offsetOk = 0;
  let covered = 0;
  let detected = 0;
  const onsetErrors: number[] = [];
  const offsetErrors: number[] = [];
  for (const truth of truths) {
    const hits = segments.filter((s) => s.endMs > truth.onsetMs && s.startMs < truth.offsetMs + 500);
    if (hits.length !== 1) continue;
    detected++;
    const onset = hits[0].startMs + 300; // the padding is exact unless the previous segment was near
    const onsetError = onset - truth.onsetMs;
    const offsetError = hits[0].endMs - truth.offsetMs;
    onsetErrors.push(onsetError);
    offsetErrors.push(offsetError);
    if (Math.abs(onsetError) <= TOLERANCE_MS) onsetOk++;
    if (Math.abs(offsetError) <= TOLERANCE_MS) offsetOk++;
    if (hits[0].startMs <= truth.onsetMs) covered++;
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const n = truths.length;
  t.diagnostic(
    `clips ${n}, segments ${segments.length}, detected as one turn ${detected}; onset within ${TOLERANCE_MS} ms ${onsetOk}, ` +
      `offset within ${TOLERANCE_MS} ms ${offsetOk}, median onset error ${median(onsetErrors)} ms, median offset error ${median(offsetErrors)} ms, ` +
      `segment start (300 ms padding) before the truth onset ${covered}`,
  );
  assert.equal(n, 220);
  assert.ok(segments.length <= n, 'no segment for the silences');
  assert.ok(detected >= 0.99 * n, `detected as one turn: ${detected}/${n}`);
  assert.ok(covered >= 0.99 * n, `padding covers the onset in ${covered}/${n}`);
  assert.ok(Math.abs(median(onsetErrors)) <= TOLERANCE_MS && Math.abs(median(offsetErrors)) <= TOLERANCE_MS);
  assert.ok(onsetOk >= 0.85 * n, `onsets within ${TOLERANCE_MS} ms: ${onsetOk}/${n}`);
  assert.ok(offsetOk >= 0.7 * n, `offsets within ${TOLERANCE_MS} ms: ${offsetOk}/${n}`);
});

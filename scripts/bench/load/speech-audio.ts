// Speech the load generators feed: real 1 s clips from ../shared (used in place) or, where
// that is absent, the committed espeak-ng layouts; all as 16 kHz PCM16 cut into 20 ms chunks.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcm16Wav } from './wav.js';

export const SAMPLE_RATE = 16000;
export const SAMPLES_PER_MS = 16;
export const CHUNK_MS = 20;
export const CHUNK_SAMPLES = CHUNK_MS * SAMPLES_PER_MS;

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const alphanumericDir = path.resolve(repoRoot, '..', 'shared', 'audio', 'alphanumeric');
const layoutDir = path.join(repoRoot, 'test', 'fixtures', 'speech');

export interface SpeechLayout {
  name: string;
  samples: Int16Array;
  /** Turn onsets / offsets (ms from the file start) from the fixture's ground truth. */
  turns: { onsetMs: number; offsetMs: number }[];
}

/** The committed espeak-ng layouts with their ground truth (turns only: noise files are excluded). */
export function speechLayouts(names = ['two-turns-clean', 'pause-within-turn']): SpeechLayout[] {
  return names.map((name) => {
    const truth = JSON.parse(readFileSync(path.join(layoutDir, `${name}.json`), 'utf8')) as { turns: SpeechLayout['turns'] };
    const wav = readPcm16Wav(path.join(layoutDir, `${name}.wav`));
    if (wav.sampleRate !== SAMPLE_RATE) throw new Error(`${name}.wav: expected 16 kHz`);
    return { name, samples: wav.samples, turns: truth.turns };
  });
}

/** Real speech clips (1 s each), every label folder in turn; null when ../shared is absent. */
export function alphanumericClips(limit = Infinity): Int16Array[] | null {
  if (!existsSync(alphanumericDir)) return null;
  const byLabel = readdirSync(alphanumericDir)
    .sort()
    .map((label) => {
      const dir = path.join(alphanumericDir, label);
      return readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().map((f) => path.join(dir, f));
    });
  const paths: string[] = [];
  for (let round = 0; paths.length < limit && byLabel.some((l) => l.length > round); round++) {
    for (const files of byLabel) if (round < files.length && paths.length < limit) paths.push(files[round]!);
  }
  const clips = paths.map((p) => readPcm16Wav(p)).filter((w) => w.sampleRate === SAMPLE_RATE).map((w) => w.samples);
  return clips.length > 0 ? clips : null;
}

/**
 * The speech of a clip with clean edges: the recording's own background before and after the word
 * (20 ms frames more than 26 dB below the loudest frame, 60 ms kept either side) is replaced by
 * the generators' noise floor, so that each clip is one clean turn (a noisy tail near the VAD's
 * threshold could split it or stretch it).
 */
export function trimToSpeech(clip: Int16Array): Int16Array {
  const frames = Math.floor(clip.length / CHUNK_SAMPLES);
  const rms = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let e = 0;
    for (let i = f * CHUNK_SAMPLES; i < (f + 1) * CHUNK_SAMPLES; i++) e += clip[i]! * clip[i]!;
    rms[f] = Math.sqrt(e / CHUNK_SAMPLES);
  }
  const loudest = Math.max(...rms);
  const level = loudest / 20;
  let first = 0;
  while (first < frames && rms[first]! < level) first++;
  let last = frames - 1;
  while (last > first && rms[last]! < level) last--;
  const keep = 3 * CHUNK_SAMPLES;
  const start = Math.max(0, first * CHUNK_SAMPLES - keep);
  const end = Math.min(clip.length, (last + 1) * CHUNK_SAMPLES + keep);
  const out = clip.slice(start, end);
  const fade = Math.min(160, out.length >> 1); // 10 ms ramps: no clicks at the cuts
  for (let i = 0; i < fade; i++) {
    out[i] = Math.round((out[i]! * i) / fade);
    out[out.length - 1 - i] = Math.round((out[out.length - 1 - i]! * i) / fade);
  }
  return out;
}

/** Speech clips for turns: real clips (trimmed to the speech) when available, else the layouts' turns cut out. */
export function speechClips(limit = 64): { clips: Int16Array[]; source: string } {
  const real = alphanumericClips(limit);
  if (real) return { clips: real.map(trimToSpeech), source: 'shared/audio/alphanumeric (real speech, 1 s clips trimmed to the word)' };
  const clips = speechLayouts().flatMap((l) =>
    l.turns.map((t) => l.samples.slice(Math.max(0, (t.onsetMs - 100) * SAMPLES_PER_MS), Math.round((t.offsetMs + 100) * SAMPLES_PER_MS))),
  );
  return { clips, source: 'test/fixtures/speech (espeak-ng turns; ../shared absent)' };
}

/** A deterministic noise floor (about -60 dBFS), so "silence" looks like a real microphone. */
export function noiseFloor(samples: number, seed = 1): Int16Array {
  const out = new Int16Array(samples);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < samples; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) % 65) - 32;
  }
  return out;
}

/**
 * The clip as the load generator's microphone hears it: its noise floor goes on under the speech.
 * A clip alone is a different microphone (the real clips' own background lies up to 18 dB, median
 * 9 dB, under the floor, and their trimmed edges fade from zero): a session whose noise floor drops
 * that far for each spoken turn is no client's microphone.
 */
export function overNoiseFloor(clip: Int16Array, seed = 3): Int16Array {
  const noise = noiseFloor(clip.length, seed);
  const out = new Int16Array(clip.length);
  for (let i = 0; i < clip.length; i++) out[i] = Math.max(-32768, Math.min(32767, clip[i]! + noise[i]!));
  return out;
}

/** Pads to whole 20 ms chunks with noise floor and returns the chunks as Buffer views (no copies). */
export function toChunks(pcm: Int16Array): Buffer[] {
  const whole = Math.ceil(pcm.length / CHUNK_SAMPLES) * CHUNK_SAMPLES;
  let padded = pcm;
  if (whole !== pcm.length) {
    padded = new Int16Array(whole);
    padded.set(pcm);
    padded.set(noiseFloor(whole - pcm.length, pcm.length), pcm.length);
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < whole; i += CHUNK_SAMPLES) chunks.push(Buffer.from(padded.buffer, padded.byteOffset + i * 2, CHUNK_SAMPLES * 2));
  return chunks;
}

export interface Tape {
  /** 20 ms chunks of clip + gap, clip + gap, ... */
  chunks: Buffer[];
  /** Chunk index (in the tape) just past the end of each clip. */
  clipEndChunks: number[];
  source: string;
}

/** Clips separated by `gapMs` of noise floor: one turn per clip when the gap exceeds the turn silence. */
export function buildTape(gapMs: number, limit = 64): Tape {
  const { clips, source } = speechClips(limit);
  const gapChunks = Math.ceil(gapMs / CHUNK_MS);
  const chunks: Buffer[] = [];
  const clipEndChunks: number[] = [];
  clips.forEach((clip, i) => {
    chunks.push(...toChunks(clip));
    clipEndChunks.push(chunks.length);
    chunks.push(...toChunks(noiseFloor(gapChunks * CHUNK_SAMPLES, i + 7)));
  });
  return { chunks, clipEndChunks, source };
}

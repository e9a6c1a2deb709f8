// What the simulated user's microphone hears, as 16 kHz float samples: espeak-ng speech, the real
// clips in ../shared/audio, and synthesized noises (cough, click, music), at stated levels.
// Everything is deterministic for a given seed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resample } from '../../../server/audio/resample.js';
import { concat, silence } from '../../../test/support/speech.js';
import { readPcm16Wav } from '../load/wav.js';
import { alphanumericClips, trimToSpeech } from '../load/speech-audio.js';

export const RATE = 16000;
export const PER_MS = RATE / 1000;

/** Level of the user's own speech (RMS over its loud frames); other sounds are set relative to it. */
export const SPEECH_DBFS = -20;

/** A small seeded generator, so every repetition's variation is reproducible. */
export { seededRandom as rng } from '../load/seeded-random.js';

export function between(random: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * random();
}

export function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

export { concat, silence };


/** RMS level (dBFS) over the 20 ms frames within 30 dB of the loudest: the level of the sound itself, not its pauses. */
export function activeDbfs(samples: Float32Array): number {
  const frame = 20 * PER_MS;
  const levels: number[] = [];
  for (let s = 0; s + frame <= samples.length; s += frame) {
    let e = 0;
    for (let i = s; i < s + frame; i++) e += samples[i]! * samples[i]!;
    levels.push(e / frame);
  }
  const loudest = Math.max(1e-12, ...levels);
  const active = levels.filter((l) => l >= loudest / 1000);
  const mean = active.reduce((a, b) => a + b, 0) / Math.max(1, active.length);
  return 10 * Math.log10(Math.max(1e-12, mean));
}

/** Scales a copy so its active level is `dbfs`. */
export function atLevel(samples: Float32Array, dbfs: number): Float32Array {
  const gain = 10 ** ((dbfs - activeDbfs(samples)) / 20);
  return samples.map((v) => v * gain);
}

const spoken = new Map<string, Float32Array>();

/** espeak-ng speech at 16 kHz, cached per (text, voice, words per minute). */
export function say(text: string, voice = 'en-us', wpm = 165): Float32Array {
  const key = `${voice}|${wpm}|${text}`;
  const cached = spoken.get(key);
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'duet-interaction-'));
  try {
    const file = path.join(dir, 'say.wav');
    const run = spawnSync('espeak-ng', ['-v', voice, '-s', String(wpm), '-w', file, text], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`espeak-ng failed (is it installed?): ${run.stderr || run.error?.message}`);
    const wav = readPcm16Wav(file);
    const float = Float32Array.from(wav.samples, (v) => v / 32768);
    const out = atLevel(trimSilence(resample(float, wav.sampleRate, RATE)), SPEECH_DBFS);
    spoken.set(key, out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function espeakAvailable(): boolean {
  return spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Drops the leading and trailing near-silence espeak adds, so a sound's start is its onset. */
function trimSilence(samples: Float32Array): Float32Array {
  const threshold = 10 ** (-50 / 20);
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]!) < threshold) first++;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]!) < threshold) last--;
  return samples.slice(first, last + 1);
}

let clips: Float32Array[] | null | undefined;

/** Real recorded words (1 s clips of digits and letters, trimmed), or null when ../shared is absent. */
export function realWords(): Float32Array[] | null {
  if (clips === undefined) {
    const raw = alphanumericClips(64);
    clips = raw ? raw.map((c) => atLevel(Float32Array.from(trimToSpeech(c), (v) => v / 32768), SPEECH_DBFS)) : null;
  }
  return clips;
}

/** A "question" of real recorded words (e.g. a code read out), 80-160 ms apart. */
export function realQuestion(random: () => number, words = 4): Float32Array | null {
  const all = realWords();
  if (!all) return null;
  const parts: Float32Array[] = [];
  for (let i = 0; i < words; i++) {
    if (i > 0) parts.push(silence(between(random, 80, 160)));
    parts.push(pick(random, all));
  }
  return concat(...parts);
}

/** White noise in [-1, 1). */
function noise(random: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

/** One-pole low-pass then high-pass: a crude band-pass that gives noise a body. */
function band(samples: Float32Array, lowHz: number, highHz: number): Float32Array {
  const a = Math.exp((-2 * Math.PI * highHz) / RATE);
  const b = Math.exp((-2 * Math.PI * lowHz) / RATE);
  const out = new Float32Array(samples.length);
  let lp = 0;
  let hpIn = 0;
  let hp = 0;
  for (let i = 0; i < samples.length; i++) {
    lp = (1 - a) * samples[i]! + a * lp;
    hp = b * (hp + lp - hpIn);
    hpIn = lp;
    out[i] = hp;
  }
  return out;
}

/** A cough: a band-passed noise burst of `ms` (150-300 ms), fast attack, exponential decay, near speech level. */
export function cough(random: () => number, ms = between(random, 150, 300)): Float32Array {
  const n = Math.round(ms * PER_MS);
  const shaped = band(noise(random, n), 300, 3000).map((v, i) => {
    const t = i / n;
    return v * Math.min(1, t / 0.05) * Math.exp(-3 * t);
  });
  return atLevel(shaped, SPEECH_DBFS + between(random, -3, 3));
}

/** A 60 ms click/transient: an impulse with a short decaying ring (a knock on the table, a dropped pen). */
export function click(random: () => number, ms = 60): Float32Array {
  const n = Math.round(ms * PER_MS);
  const ringHz = between(random, 800, 2500);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    out[i] = (i < 8 ? 1 - i / 8 : 0) + 0.6 * Math.sin(2 * Math.PI * ringHz * t) * Math.exp(-t / 0.012);
  }
  return atLevel(out, SPEECH_DBFS + 6);
}

/** Background music: notes of a few harmonics (`ms` long, 250-400 ms a note) at `dbfs`. */
export function music(random: () => number, ms: number, dbfs: number): Float32Array {
  const n = Math.round(ms * PER_MS);
  const out = new Float32Array(n);
  const scale = [220, 247, 262, 294, 330, 349, 392, 440];
  let at = 0;
  while (at < n) {
    const len = Math.min(n - at, Math.round(between(random, 250, 400) * PER_MS));
    const f = pick(random, scale) * pick(random, [1, 2]);
    for (let i = 0; i < len; i++) {
      const t = i / RATE;
      const env = Math.min(1, i / (0.01 * RATE)) * Math.exp(-t / 0.5);
      out[at + i] = env * (Math.sin(2 * Math.PI * f * t) + 0.5 * Math.sin(4 * Math.PI * f * t) + 0.25 * Math.sin(6 * Math.PI * f * t));
    }
    at += len;
  }
  return atLevel(out, dbfs);
}

/**
 * Speech from across the room: the direct sound plus a diffuse tail (an impulse response of
 * exponentially decaying noise, RT60 `rt60Ms`, reverberant energy `wetDb` relative to the direct
 * sound), the whole at `relativeDb` below the user's own speech.
 */
export function distant(speech: Float32Array, random: () => number, relativeDb = -15, rt60Ms = 450, wetDb = 0): Float32Array {
  const irLen = Math.round(rt60Ms * PER_MS);
  const ir = Float32Array.from({ length: irLen }, (_v, i) => (random() * 2 - 1) * Math.exp((-6.9 * i) / irLen));
  const irEnergy = ir.reduce((s, v) => s + v * v, 0);
  const wetGain = 10 ** (wetDb / 20) / Math.sqrt(irEnergy);
  const out = new Float32Array(speech.length + irLen);
  out.set(speech);
  // Sparse convolution (every 4th tap, scaled): a diffuse tail needs no exact taps, and it keeps this fast.
  for (let k = 1; k < irLen; k += 4) {
    const g = ir[k]! * wetGain * 2;
    if (g === 0) continue;
    for (let i = 0; i < speech.length; i++) out[i + k]! += g * speech[i]!;
  }
  return atLevel(out, SPEECH_DBFS + relativeDb);
}

// Mel front-end benchmark: throughput (x real time, one core) of the kaldi and whisper presets,
// streaming in 10 ms pushes and in batch, against @huggingface/transformers' WhisperFeatureExtractor
// on the same 30 s of audio in the same run; plus heap allocation per hop in the steady state.
// Run: node --import tsx scripts/bench/mel.ts   (prints JSON; exports runMelBench for aggregates)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { WhisperFeatureExtractor } from '@huggingface/transformers';
import { StreamingMelEncoder, computeMel, melPreset, type MelPresetName } from '../../server/audio/mel/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SAMPLE_RATE = 16000;
const AUDIO_SECONDS = 30;
const HOP = 160;

export interface PresetThroughput {
  preset: MelPresetName;
  /** Seconds of audio per CPU second (median run), pushing 160 samples at a time, reading at the end. */
  streamingXRealTime: number;
  /** The same from the fastest run (least disturbed by other processes). */
  streamingXRealTimeBest: number;
  /** computeMel on the whole signal (median run). */
  batchXRealTime: number;
  /** Mean cost of one frame (one hop) when streaming, in microseconds. */
  usPerFrame: number;
}

export interface MelBenchResult {
  audioSeconds: number;
  presets: PresetThroughput[];
  library: { name: string; xRealTime: number; xRealTimeBest: number };
  /** Our streaming throughput / the library's, same audio, same run (medians). */
  whisperVsLibrary: number;
  kaldiVsLibrary: number;
  /** Max abs difference between our whisper features and the library's on the same audio. */
  whisperMaxAbsDiffVsLibrary: number;
  allocation: { preset: MelPresetName; hops: number; bytesPerHop: number; collectedDuringRun: boolean };
}

/** 30 s of real-ish audio: the committed fixture signals (speech, tones, noise) tiled. */
function benchAudio(): Float32Array {
  const dir = path.join(repoRoot, 'test', 'fixtures', 'mel');
  const parts = ['speech', 'tones', 'noise'].map((name) => {
    const bytes = readFileSync(path.join(dir, `${name}.s16`));
    const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return Float32Array.from(pcm, (v) => v / 32768);
  });
  const out = new Float32Array(AUDIO_SECONDS * SAMPLE_RATE);
  for (let pos = 0, i = 0; pos < out.length; i++) {
    const part = parts[i % parts.length].subarray(0, out.length - pos);
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

const WARM_UP_RUNS = 3; // V8 needs a few runs to reach its optimised tier

/**
 * CPU seconds (user + system, all threads) of this process spent in fn: "one core", and less
 * sensitive to neighbours than wall time. (No forced GC anywhere in this bench: V8 runs the next
 * code much slower right after a full collection.)
 */
async function cpuSeconds(fn: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const chunk = new Float32Array(HOP);

/** 10 ms pushes; the chunk is a reused buffer so that only the encoder's own work is timed. */
function streamOnce(preset: MelPresetName, audio: Float32Array): number {
  const encoder = new StreamingMelEncoder(melPreset(preset));
  for (let pos = 0; pos + HOP <= audio.length; pos += HOP) {
    for (let i = 0; i < HOP; i++) chunk[i] = audio[pos + i];
    encoder.push(chunk);
  }
  encoder.finish();
  encoder.read(0, encoder.frameCount);
  return encoder.frameCount;
}

function whisperConfig(): Record<string, unknown> {
  const file = path.resolve(repoRoot, '..', 'shared', 'models', 'whisper-tokenizer', 'preprocessor_config.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return {
    feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: 80,
    hop_length: 160,
    n_fft: 400,
    n_samples: 480000,
    nb_max_frames: 3000,
    chunk_length: 30,
    sampling_rate: 16000,
    padding_value: 0,
    return_attention_mask: false,
  };
}

/** Bytes in V8's young generation, where every short-lived JS object is allocated. */
function youngGenerationUsed(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_used_size ?? NaN;
}

/**
 * Allocation per 10 ms push in the steady state (owner consuming and discarding frames): growth of
 * the young generation over the run (JIT code and metadata live elsewhere and are not counted).
 * A scavenge during the run would hide allocation, so the run checks the space never shrank.
 */
function measureAllocation(preset: MelPresetName, audio: Float32Array): MelBenchResult['allocation'] {
  const encoder = new StreamingMelEncoder(melPreset(preset));
  const chunk = new Float32Array(HOP);
  const pushHops = (hops: number, check: (() => void) | null) => {
    for (let h = 0; h < hops; h++) {
      const at = (h * HOP) % (audio.length - HOP);
      for (let i = 0; i < HOP; i++) chunk[i] = audio[at + i]; // no subarray view: count only the encoder
      encoder.push(chunk);
      encoder.discardBefore(encoder.frameCount);
      if (check !== null && h % 1000 === 999) check();
    }
  };
  // Warm-up: JIT, ring buffers at their steady size. No forced collection: V8 runs the next
  // stretch of code unoptimised after a full GC, boxing every double it computes.
  pushHops(10000, null);
  const hops = 20000;
  const before = youngGenerationUsed();
  let last = before;
  let collected = false;
  pushHops(hops, () => {
    const now = youngGenerationUsed();
    if (now < last) collected = true;
    last = now;
  });
  // The checks themselves allocate (one statistics array per 1000 hops); measured the same way.
  const checkCost = youngGenerationUsed();
  for (let i = 0; i < hops / 1000; i++) youngGenerationUsed();
  const checks = youngGenerationUsed() - checkCost;
  const grown = checkCost - before - checks;
  return { preset, hops, bytesPerHop: Math.max(0, grown / hops), collectedDuringRun: collected };
}

export async function runMelBench(reps = 9): Promise<MelBenchResult> {
  const audio = benchAudio();
  const seconds = audio.length / SAMPLE_RATE;
  const extractor = new WhisperFeatureExtractor(whisperConfig());
  type Output = { input_features: { data: Float32Array; dims: number[] } };
  const library = (a: Float32Array) => (extractor as unknown as (x: Float32Array) => Promise<Output>)(a);

  // Each contender in its own block (warm-up, then timed runs); the library last, so the GC work
  // its garbage causes is not billed to the others.
  const contenders: Record<string, () => unknown> = {
    'kaldi-stream': () => streamOnce('kaldi', audio),
    'kaldi-batch': () => computeMel(audio, melPreset('kaldi')),
    'whisper-stream': () => streamOnce('whisper', audio),
    'whisper-batch': () => computeMel(audio, melPreset('whisper')),
    library: () => library(audio),
  };
  const times: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(contenders)) {
    times[name] = [];
    for (let run = 0; run < WARM_UP_RUNS + reps; run++) {
      const t = await cpuSeconds(fn);
      if (run >= WARM_UP_RUNS) times[name].push(t);
    }
  }
  const xRealTime = (name: string) => seconds / median(times[name]);
  const xRealTimeBest = (name: string) => seconds / Math.min(...times[name]);
  const presets: PresetThroughput[] = (['kaldi', 'whisper'] as const).map((preset) => {
    const frames = streamOnce(preset, audio);
    return {
      preset,
      streamingXRealTime: xRealTime(`${preset}-stream`),
      streamingXRealTimeBest: xRealTimeBest(`${preset}-stream`),
      batchXRealTime: xRealTime(`${preset}-batch`),
      usPerFrame: (median(times[`${preset}-stream`]) / frames) * 1e6,
    };
  });
  const libraryXRealTime = xRealTime('library');

  // Same numbers? The library returns [1, 80, 3000] (bins x frames).
  const theirs = (await library(audio)).input_features;
  const ours = computeMel(audio, melPreset('whisper'));
  const frames = theirs.dims[2];
  let maxDiff = frames === ours.frames ? 0 : Infinity;
  for (let t = 0; t < Math.min(frames, ours.frames); t++) {
    for (let b = 0; b < ours.bins; b++) maxDiff = Math.max(maxDiff, Math.abs(theirs.data[b * frames + t] - ours.data[t * ours.bins + b]));
  }

  // Up to five tries, keeping the lowest clean one (no scavenge during the run): a try can still
  // catch code waiting for its optimised tier, or a young generation left full by the library.
  const tries: MelBenchResult['allocation'][] = [];
  for (let i = 0; i < 5 && !tries.some((a) => !a.collectedDuringRun && a.bytesPerHop < 1); i++) {
    tries.push(measureAllocation('whisper', audio));
  }
  const clean = tries.filter((a) => !a.collectedDuringRun);
  const allocation = (clean.length > 0 ? clean : tries).reduce((best, a) => (a.bytesPerHop < best.bytesPerHop ? a : best));
  return {
    audioSeconds: seconds,
    presets,
    library: { name: '@huggingface/transformers WhisperFeatureExtractor', xRealTime: libraryXRealTime, xRealTimeBest: xRealTimeBest('library') },
    whisperVsLibrary: presets[1].streamingXRealTime / libraryXRealTime,
    kaldiVsLibrary: presets[0].streamingXRealTime / libraryXRealTime,
    whisperMaxAbsDiffVsLibrary: maxDiff,
    allocation,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runMelBench();
  console.log(JSON.stringify(result, null, 2));
}

// VAD and audio input benchmark (one process, one core for JS; onnxruntime runs on the
// calling thread with one intra-op thread):
//  1. Silero cost per 32 ms frame, v4 and v5: one stream alone, and N streams at once through
//     the scheduler with batching on (maxBatch 64) and off (maxBatch 1).
//  2. Front-end cost (VAD + streaming Mel) per second of audio: one session, and 32 sessions
//     fed together, batching on and off; CPU ms per audio second and x real time.
//  3. Input resampling 24 -> 16 kHz: ours against @alexanderolsen/libsamplerate-js (its
//     fastest sinc converter, streaming API) on the same audio in the same run.
// Run: node --import tsx scripts/bench/vad.ts   (prints JSON; exports runVadBench)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import LibSampleRate from '@alexanderolsen/libsamplerate-js';
import { AudioFrontEnd, type FrontEndTuning } from '../../server/audio/front-end.js';
import { melPreset, type MelPresetName } from '../../server/audio/mel/index.js';
import { StreamingResampler } from '../../server/audio/resample.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { SileroModel, VAD_FRAME_SAMPLES, type SileroVersion } from '../../server/audio/vad/silero.js';
import { readWav } from '../../test/support/wav.js';

const FRAME = VAD_FRAME_SAMPLES;
const TUNING: FrontEndTuning = { negativeThresholdOffset: 0.15, minSpeechMs: 250, maxSegmentMs: 30000, maxVadBacklogMs: 600000, vadStateResetMs: 5000 };
const SERVER_VAD = { type: 'server_vad' as const, threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 };


/** `seconds` of speech with pauses: the committed layouts, looped. */
function speechAudio(seconds: number): Float32Array {
  const dir = new URL('../../test/fixtures/speech/', import.meta.url);
  const parts = ['two-turns-clean.wav', 'pause-within-turn.wav', 'noise-bursts.wav'].map((f) => readWav(new URL(f, dir)));
  const out = new Float32Array(seconds * 16000);
  for (let at = 0, i = 0; at < out.length; i++) {
    const p = parts[i % parts.length].subarray(0, out.length - at);
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

export interface FrameCost {
  model: SileroVersion;
  streams: number;
  maxBatch: number;
  /** Wall time per frame (all streams' frames together), microseconds. */
  usPerFrame: number;
  /** usPerFrame of one stream alone / this: what batching buys. */
  speedupVsSingle: number;
  meanBatch: number;
}

async function frameCost(model: SileroModel, version: SileroVersion, audio: Float32Array, streams: number, maxBatch: number, singleUs: number | null): Promise<FrameCost> {
  const scheduler = new VadScheduler(model, { maxBatch });
  const handles = Array.from({ length: streams }, () => scheduler.createStream());
  const framesPerStream = Math.max(20, Math.round(4000 / streams));
  const run = async (frames: number) => {
    await Promise.all(
      handles.map(async (h, s) => {
        for (let f = 0; f < frames; f++) {
          const at = ((s * 7919 + f) * FRAME) % (audio.length - FRAME);
          await h.infer(audio.subarray(at, at + FRAME));
        }
      }),
    );
  };
  await run(10); // warm-up
  const before = { ...scheduler.stats };
  const t0 = performance.now();
  await run(framesPerStream);
  const elapsed = performance.now() - t0;
  const frames = scheduler.stats.frames - before.frames;
  const usPerFrame = (elapsed * 1000) / frames;
  for (const h of handles) h.close();
  scheduler.close();
  return {
    model: version,
    streams,
    maxBatch,
    usPerFrame: round(usPerFrame),
    speedupVsSingle: round((singleUs ?? usPerFrame) / usPerFrame, 2),
    meanBatch: round(frames / (scheduler.stats.inferences - before.inferences), 1),
  };
}

export interface FrontEndCost {
  sessions: number;
  mel: MelPresetName | null;
  vad: SileroVersion | null;
  maxBatch: number;
  /** CPU ms spent per second of audio per session. */
  cpuMsPerAudioSecond: number;
  /** Audio seconds processed per CPU second, per session. */
  xRealTime: number;
  /** 1000 / cpuMsPerAudioSecond: real-time sessions one core could carry on this work alone. */
  sessionsPerCore: number;
}

async function frontEndCost(
  scheduler: VadScheduler | null,
  version: SileroVersion | null,
  mel: MelPresetName | null,
  sessions: number,
  audio: Float32Array,
  maxBatch: number,
): Promise<FrontEndCost> {
  const frontEnds = Array.from(
    { length: sessions },
    () =>
      new AudioFrontEnd({
        vad: scheduler,
        mel: mel ? melPreset(mel) : null,
        turnDetection: scheduler ? SERVER_VAD : null,
        tuning: TUNING,
        onEvent: () => {},
      }),
  );
  const chunk = 320; // 20 ms, as clients send
  const second = 16000;
  const c0 = cpuMs();
  for (let s = 0; s < audio.length; s += second) {
    // One second of audio for every session, in 20 ms pushes, interleaved as sockets would be.
    for (let c = s; c < Math.min(s + second, audio.length); c += chunk) {
      for (const fe of frontEnds) fe.push(audio.subarray(c, c + chunk));
    }
    await Promise.all(frontEnds.map((fe) => fe.whenIdle()));
    if (!scheduler) frontEnds.forEach((fe) => fe.commit()); // manual mode: hand the audio on
  }
  const used = cpuMs() - c0;
  for (const fe of frontEnds) fe.close();
  const audioSeconds = (audio.length / 16000) * sessions;
  const perSecond = used / audioSeconds;
  return {
    sessions,
    mel,
    vad: version,
    maxBatch,
    cpuMsPerAudioSecond: round(perSecond, 2),
    xRealTime: round(1000 / perSecond, 0),
    sessionsPerCore: round(1000 / perSecond, 0),
  };
}

async function resamplerCost(audio16k: Float32Array): Promise<{ oursXRealTime: number; libsamplerateXRealTime: number; ratio: number; chunkMs: number }> {
  // 24 kHz input made from the speech (quality is not measured here, only cost).
  const { resample } = await import('../../server/audio/resample.js');
  const input = resample(audio16k, 16000, 24000);
  const chunk = 480; // 20 ms at 24 kHz
  const seconds = input.length / 24000;
  const timeIt = (fn: () => void) => {
    fn();
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const oursMs = timeIt(() => {
    const r = new StreamingResampler(24000, 16000);
    for (let i = 0; i < input.length; i += chunk) r.process(input.subarray(i, i + chunk));
  });
  const src = await LibSampleRate.create(1, 24000, 16000, { converterType: LibSampleRate.ConverterType.SRC_SINC_FASTEST });
  const libMs = timeIt(() => {
    for (let i = 0; i < input.length; i += chunk) src.full(input.subarray(i, i + chunk));
  });
  src.destroy();
  return { oursXRealTime: round((seconds * 1000) / oursMs, 0), libsamplerateXRealTime: round((seconds * 1000) / libMs, 0), ratio: round(libMs / oursMs, 2), chunkMs: 20 };
}

export interface VadBenchResult {
  frameCost: FrameCost[];
  frontEnd: FrontEndCost[];
  resampler: Awaited<ReturnType<typeof resamplerCost>>;
}

export async function runVadBench(): Promise<VadBenchResult> {
  const audio = speechAudio(60);
  const frameCosts: FrameCost[] = [];
  const models = new Map<SileroVersion, SileroModel>();
  for (const version of ['v4', 'v5'] as const) {
    const model = await SileroModel.load({ version });
    models.set(version, model);
    const single = await frameCost(model, version, audio, 1, 1, null);
    frameCosts.push(single);
    for (const streams of [8, 32, 100]) {
      for (const maxBatch of [1, 64]) frameCosts.push(await frameCost(model, version, audio, streams, maxBatch, single.usPerFrame));
    }
  }
  const frontEnd: FrontEndCost[] = [];
  const short = audio.subarray(0, 20 * 16000);
  frontEnd.push(await frontEndCost(null, null, 'whisper', 1, audio, 1)); // Mel alone
  for (const version of ['v5', 'v4'] as const) {
    const scheduler = new VadScheduler(models.get(version)!, { maxBatch: 64 });
    frontEnd.push(await frontEndCost(scheduler, version, null, 1, audio, 64)); // VAD alone
    frontEnd.push(await frontEndCost(scheduler, version, 'whisper', 1, audio, 64));
    frontEnd.push(await frontEndCost(scheduler, version, 'kaldi', 1, audio, 64));
    frontEnd.push(await frontEndCost(scheduler, version, 'whisper', 32, short, 64));
    scheduler.close();
    const unbatched = new VadScheduler(models.get(version)!, { maxBatch: 1 });
    frontEnd.push(await frontEndCost(unbatched, version, 'whisper', 32, short, 1));
    unbatched.close();
  }
  const resampler = await resamplerCost(audio.subarray(0, 30 * 16000));
  for (const m of models.values()) await m.release();
  return { frameCost: frameCosts, frontEnd, resampler };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runVadBench().then(
    (r) => console.log(JSON.stringify(r, null, 1)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

// Config (`audio` section) -> the VAD and the front-end's settings.
import type { Static } from '@sinclair/typebox';
import type { AudioSection } from '../../config/sections/audio.js';
import type { FrontEndTuning } from '../front-end.js';
import { melPreset, type MelOptions } from '../mel/index.js';
import type { ServerVadSettings } from '../types.js';
import { VadScheduler } from './scheduler.js';
import { SileroModel } from './silero.js';

export type AudioConfig = Static<typeof AudioSection>;

/** Loads the configured Silero model and the scheduler every session shares. */
export async function createVad(config: AudioConfig): Promise<{ model: SileroModel; scheduler: VadScheduler }> {
  const model = await SileroModel.load({ version: config.vad.model === 'silero-v4' ? 'v4' : 'v5', path: config.vad.modelPath });
  return { model, scheduler: new VadScheduler(model, { maxBatch: config.vad.maxBatch, batchWindowMs: config.vad.batchWindowMs }) };
}

/** The `server_vad` settings a session starts with (the protocol's defaults come from config). */
export function defaultServerVad(config: AudioConfig): ServerVadSettings {
  return {
    type: 'server_vad',
    threshold: config.vad.threshold,
    prefix_padding_ms: config.vad.prefixPaddingMs,
    silence_duration_ms: config.vad.silenceDurationMs,
  };
}

export function frontEndTuning(config: AudioConfig): FrontEndTuning {
  return {
    negativeThresholdOffset: config.vad.negativeThresholdOffset,
    minSpeechMs: config.vad.minSpeechMs,
    maxSegmentMs: config.vad.maxSegmentMs,
    maxVadBacklogMs: config.vad.maxBacklogMs,
    vadStateResetMs: config.vad.stateResetSilenceMs,
    skipQuietFrames: config.vad.skipQuietFrames,
  };
}

/**
 * The configured Mel preset, retaining frames for the longest span the front-end may hold: a
 * segment, its prefix padding (clamped to maxSegmentMs) and the VAD backlog. The ring grows only
 * as far as a session needs.
 */
export function frontEndMelOptions(config: AudioConfig): MelOptions {
  const base = melPreset(config.melPreset);
  const spanMs = 2 * config.vad.maxSegmentMs + config.vad.maxBacklogMs + 1000;
  const frames = Math.ceil((spanMs * base.sampleRate) / 1000 / base.hopLength);
  return melPreset(config.melPreset, { maxRetainedFrames: Math.max(base.maxRetainedFrames, frames) });
}

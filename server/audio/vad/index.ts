export { SileroModel, SileroState, sileroModelPath, VAD_FRAME_MS, VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE } from './silero.js';
export type { SileroModelOptions, SileroVersion, VadModel } from './silero.js';
export { VadScheduler, VadStream, type VadSchedulerOptions, type VadSchedulerStats } from './scheduler.js';
export { TurnDetector, type TurnDecision, type TurnDetectorSettings } from './turn-detector.js';
export { SampleWindow } from './sample-window.js';
export { createVad, defaultServerVad, frontEndMelOptions, frontEndTuning, type AudioConfig } from './config.js';

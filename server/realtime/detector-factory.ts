import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { TurnDetection } from '../../protocol/schema/session.js';
import { AudioFrontEnd } from '../audio/front-end.js';
import type { TurnDetectionSettings } from '../audio/types.js';
import type { VadScheduler } from '../audio/vad/scheduler.js';
import { createVad, frontEndMelOptions, frontEndTuning } from '../audio/vad/config.js';
import type { TurnDetectorFactory } from './audio-input.js';
import { DEFAULT_TURN_DETECTION } from './session-settings.js';
import { silenceTimerMs } from '../turns/eagerness.js';

export function toFrontEndSettings(td: TurnDetection): TurnDetectionSettings {
  if (td === null) return null;
  if (td.type === 'semantic_vad') {
    // semantic_vad: Silero with the silence its eagerness implies; the rest of eagerness acts on
    // the end-of-turn layer (server/turns/eagerness.ts).
    return { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: silenceTimerMs(td) };
  }
  return {
    type: 'server_vad',
    threshold: td.threshold ?? DEFAULT_TURN_DETECTION.threshold!,
    prefix_padding_ms: td.prefix_padding_ms ?? DEFAULT_TURN_DETECTION.prefix_padding_ms!,
    silence_duration_ms: td.silence_duration_ms ?? DEFAULT_TURN_DETECTION.silence_duration_ms!,
  };
}

/** One Silero model and one VAD scheduler (batching across sessions) for the whole server. */
/** `pauseEventMs`: silence after speech reported as pause_started (end-of-turn model, speculative starts; 0: none). */
export async function createDetectorFactory(audio: Config['audio'], log: Logger, pauseEventMs = 0): Promise<TurnDetectorFactory> {
  let vad: VadScheduler | null = null;
  try {
    vad = (await createVad(audio)).scheduler;
  } catch (err) {
    log.error({ err }, 'Silero VAD failed to load: sessions get manual turns only');
  }
  const mel = frontEndMelOptions(audio);
  const tuning = { ...frontEndTuning(audio), pauseEventMs };
  return (td, onEvent, onsetGate) => {
    const frontEnd = new AudioFrontEnd({
      vad,
      mel,
      turnDetection: vad ? toFrontEndSettings(td) : null,
      tuning,
      onEvent,
      ...(onsetGate ? { onsetGate } : {}),
      onError: (err) => log.warn({ err }, 'audio front-end error'),
    });
    return {
      push: (samples) => frontEnd.push(samples),
      commit: () => frontEnd.commit(),
      clear: () => frontEnd.clear(),
      setTurnDetection: (next) => frontEnd.setTurnDetection(vad ? toFrontEndSettings(next) : null),
      endTurnAtPause: () => frontEnd.endTurnAtPause(),
      trailingSilenceMs: () => frontEnd.trailingSilenceMs,
      close: () => frontEnd.close(),
    };
  };
}

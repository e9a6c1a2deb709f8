// OpenAI's `semantic_vad` `eagerness` mapped onto the end-of-turn layer. `low` waits longer for a
// speaker to finish (longer hold, a model needs more confidence to call a turn complete, a
// speculative start needs more evidence); `high` answers sooner. `auto` and `server_vad`: config.
// (The silence timer itself follows eagerness in realtime/detector-factory.ts.)
import type { Config } from '../config/schema.js';
import type { TurnDetection } from '../../protocol/schema/session.js';

/** The silence timer per eagerness (semantic_vad is served by Silero with this silence). */
export const EAGERNESS_SILENCE_MS: Record<string, number> = { low: 900, medium: 600, high: 350, auto: 500 };

/** The silence that ends a turn by the timer alone under these turn-detection settings. */
export function silenceTimerMs(td: TurnDetection): number {
  if (td?.type === 'semantic_vad') return EAGERNESS_SILENCE_MS[td.eagerness ?? 'auto'] ?? 500;
  return td?.silence_duration_ms ?? 500;
}

export interface TurnTuning {
  holdMs: number;
  modelThreshold: number;
  speculativeThreshold: number;
}

export const EAGERNESS_TUNING: Record<'low' | 'medium' | 'high', (base: TurnTuning) => TurnTuning> = {
  low: (b) => ({ holdMs: Math.round(b.holdMs * 1.5), modelThreshold: Math.max(b.modelThreshold, 0.7), speculativeThreshold: Math.max(b.speculativeThreshold, 0.85) }),
  medium: (b) => ({ ...b }),
  high: (b) => ({ holdMs: Math.round(b.holdMs / 2), modelThreshold: Math.min(b.modelThreshold, 0.35), speculativeThreshold: Math.min(b.speculativeThreshold, 0.5) }),
};

export function turnTuning(td: TurnDetection, turns: Config['turns']): TurnTuning {
  const base: TurnTuning = { holdMs: turns.holdMs, modelThreshold: turns.modelThreshold, speculativeThreshold: turns.speculativeThreshold };
  if (td?.type !== 'semantic_vad' || !td.eagerness || td.eagerness === 'auto') return base;
  return EAGERNESS_TUNING[td.eagerness as 'low' | 'medium' | 'high']?.(base) ?? base;
}

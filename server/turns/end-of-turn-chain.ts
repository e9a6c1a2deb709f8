import type { Config } from '../config/schema.js';
import type { EndOfTurnModel } from '../../models/types.js';
import type { EndOfTurnDetector, EndOfTurnSource, EndOfTurnVerdict, PauseEvidence } from './end-of-turn.js';
import { ModelJudge } from './model-judge.js';
import { MonitorJudge } from './monitor-judge.js';
import { SilenceTimerJudge } from './silence-timer.js';

/** The configured judges in their order (config turns.endOfTurn). */
export class EndOfTurnChain {
  constructor(readonly judges: readonly EndOfTurnDetector[]) {}

  has(source: EndOfTurnSource): boolean {
    return this.judges.some((j) => j.source === source);
  }

  /**
   * The first `incomplete` verdict among the judges of `sources` (consulted in order, so a cheap
   * model saying incomplete spares the rest), else the last `complete` one, else null.
   */
  async judge(evidence: PauseEvidence, sources: readonly EndOfTurnSource[]): Promise<EndOfTurnVerdict | null> {
    let complete: EndOfTurnVerdict | null = null;
    for (const judge of this.judges) {
      if (!sources.includes(judge.source)) continue;
      const verdict = await judge.judge(evidence);
      if (verdict?.state === 'incomplete') return verdict;
      if (verdict) complete = verdict;
    }
    return complete;
  }
}

/**
 * Builds the chain from config. The model judge joins only when the model loaded; the silence
 * timer is always there (last, when the config leaves it out), the fallback and the upper bound.
 */
export function buildEndOfTurnChain(turns: Config['turns'], deps: { model: EndOfTurnModel | null | undefined; silenceMs: () => number; modelThreshold: () => number }): EndOfTurnChain {
  const judges: EndOfTurnDetector[] = [];
  for (const source of turns.endOfTurn) {
    if (source === 'model' && deps.model) judges.push(new ModelJudge(deps.model, deps.modelThreshold));
    else if (source === 'monitor') judges.push(new MonitorJudge());
    else if (source === 'silence') judges.push(new SilenceTimerJudge(deps.silenceMs));
  }
  if (!judges.some((j) => j.source === 'silence')) judges.push(new SilenceTimerJudge(deps.silenceMs));
  return new EndOfTurnChain(judges);
}

import type { EndOfTurnDetector, EndOfTurnVerdict, PauseEvidence } from './end-of-turn.js';

/**
 * The monitor's fourth outcome, `incomplete` (`<4>`), read from the same first-token distribution
 * as its other decisions: the scheduler classifies once, this judge reads the decision.
 */
export class MonitorJudge implements EndOfTurnDetector {
  readonly source = 'monitor' as const;

  async judge(evidence: PauseEvidence): Promise<EndOfTurnVerdict | null> {
    const d = evidence.decision;
    if (!d) return null;
    const incomplete = d.probabilities.incomplete ?? (d.token === 'incomplete' ? 1 : 0);
    return { state: d.token === 'incomplete' ? 'incomplete' : 'complete', probability: 1 - incomplete, source: 'monitor', elapsedMs: 0 };
  }
}

import type { EndOfTurnDetector, EndOfTurnVerdict, PauseEvidence } from './end-of-turn.js';

/**
 * Today's rule: the turn ends after the VAD's silence duration. Segments reach the scheduler only
 * once it has passed, so there it always says complete: the fallback when no other judge has an
 * opinion, and (with turns.holdMs) the upper bound on holding.
 */
export class SilenceTimerJudge implements EndOfTurnDetector {
  readonly source = 'silence' as const;
  constructor(private readonly silenceMs: () => number) {}

  async judge(evidence: PauseEvidence): Promise<EndOfTurnVerdict> {
    const silenceMs = Math.max(1, this.silenceMs());
    const probability = Math.min(1, evidence.pauseMs / silenceMs);
    return { state: probability >= 1 ? 'complete' : 'incomplete', probability, source: 'silence', elapsedMs: 0 };
  }
}

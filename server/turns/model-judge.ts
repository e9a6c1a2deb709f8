import type { EndOfTurnModel } from '../../models/types.js';
import type { EndOfTurnDetector, EndOfTurnVerdict, PauseEvidence } from './end-of-turn.js';

/** The audio end-of-turn model (Smart Turn layout) on the front-end's Whisper features. */
export class ModelJudge implements EndOfTurnDetector {
  readonly source = 'model' as const;
  constructor(
    private readonly model: EndOfTurnModel,
    private readonly threshold: () => number,
  ) {}

  async judge(evidence: PauseEvidence): Promise<EndOfTurnVerdict | null> {
    const mel = evidence.segment.mel;
    if (!mel || !this.model.accepts(mel)) return null;
    const { probability, elapsedMs } = await this.model.predict(mel);
    return { state: probability >= this.threshold() ? 'complete' : 'incomplete', probability, source: 'model', elapsedMs };
  }
}

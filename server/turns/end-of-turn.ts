// Whether a pause after speech ends the user's turn. Three judges implement this (silence timer,
// audio end-of-turn model, the monitor's `incomplete` outcome); config `turns.endOfTurn` chooses
// and orders them (end-of-turn-chain.ts). A turn judged incomplete is held, not answered.
import type { AudioSegment, MonitorDecision } from '../../models/types.js';

export type EndOfTurnSource = 'silence' | 'model' | 'monitor';

/** What is known about a pause after speech when it is judged. */
export interface PauseEvidence {
  /** The turn's speech so far (held pieces merged), with the front-end's features. */
  segment: AudioSegment;
  /** Silence since the speech ended, ms on the audio clock. */
  pauseMs: number;
  /** The monitor's decision on this speech, once it has made one. */
  decision?: MonitorDecision;
}

export interface EndOfTurnVerdict {
  state: 'complete' | 'incomplete';
  /** Probability that the turn is complete. */
  probability: number;
  source: EndOfTurnSource;
  /** Model time the verdict cost. */
  elapsedMs: number;
}

export interface EndOfTurnDetector {
  readonly source: EndOfTurnSource;
  /** null: no opinion on this evidence (no usable features, no monitor decision yet). */
  judge(evidence: PauseEvidence): Promise<EndOfTurnVerdict | null>;
}

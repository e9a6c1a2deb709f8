// What the canceller shows of each 10 ms frame to a tracer (EchoCancellerOptions.onFrame): the
// onset gate's evidence and the filter's state, for reading why a barge-in was late or missed
// (scripts/echo-trace.ts). Nothing in the server depends on it.
import type { FrameEvidence } from './onset-gate.js';

/** One frame as the canceller saw it (EchoCancellerOptions.onFrame). Energies are mean squares, int16 units. */
export interface EchoFrameTrace {
  index: number;
  /** What the gate recorded for the frame (onset-gate.ts); reused for the next frame. */
  evidence: Readonly<FrameEvidence>;
  /** The adaptive filter's output before residual suppression (the microphone where the filter did not run). */
  linearEnergy: number;
  /** The leak, dB (echo-leak.ts), and the delay the filter is placed by (null before the first lock). */
  leakDb: number;
  delayMs: number | null;
  /** The early filter's leak, dB (early-echo.ts); null once retired. */
  earlyLeakDb: number | null;
}

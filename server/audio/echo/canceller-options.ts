// What an EchoCanceller (canceller.ts) is built with and tells its owner.
import type { EchoFrameTrace } from './frame-trace.js';
import type { EchoReference } from './reference.js';

export interface EchoCancellerOptions {
  reference: EchoReference;
  /** Use SpeexDSP (true) or only gate (false: the library is missing). */
  linear: boolean;
  /** Adaptive filter length, ms (room tail + alignment margin). Default 300. */
  filterMs?: number;
  /** Longest echo delay searched, ms. Default 500. */
  maxDelayMs?: number;
  /** The filter starts this much before the estimated delay. Default 40. */
  delayMarginMs?: number;
  /** Output must exceed the residual echo estimate by this for speech to start. Default 12. */
  onsetMarginDb?: number;
  /** ... and by this for a speech candidate that started above the onset margin to go on. Default 6. */
  continueMarginDb?: number;
  /** Test a stall's silence against the microphone and read past it when the client played on (stall-check.ts). Default true; off only for comparison (bench:echo). */
  checkStalls?: boolean;
  /** Every second of echo without near-end speech: ERLE and residual level, dB / dBFS. */
  onEchoWindow?: (erleDb: number, residualDbfs: number) => void;
  /** The reference is read elsewhere from now on: the echo was found off where it was placed, and why (ReadingMoveCause). */
  onReadingMoved?: (cause: ReadingMoveCause) => void;
  /** Every 10 ms frame, once the gate has its evidence: for tracing (scripts/echo-trace.ts); the evidence object is reused. */
  onFrame?: (frame: EchoFrameTrace) => void;
}

/** Why the echo was found off where the reference placed it: a new answer begun off its placing (stall-watch.ts), a stall's silence played through in whole or part or run dry a few samples off (stall-check.ts), or a jump in its delay the server never saw (echo-realign.ts). */
export type ReadingMoveCause = 'answer' | 'stall' | 'jump';

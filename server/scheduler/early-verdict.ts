import type { AudioSegment, MonitorDecision } from '../../models/types.js';

/**
 * While an answer is paused on speech, the monitor can judge that speech at its first short pause
 * (turns.speculativePauseMs) instead of after the silence timer: a cough or an "mm-hm" then
 * resumes the answer about silenceDurationMs - speculativePauseMs sooner, which is most of the
 * hole the user would hear. The verdict is kept and reused when the timer cuts the same segment,
 * so the monitor still runs once per segment; more speech voids it.
 */
export class EarlyVerdict {
  private pending: { startMs: number; endMs: number; decision: Promise<MonitorDecision>; controller: AbortController } | null = null;

  /** Starts judging `segment`; `judge` gets a signal that fires when the verdict is voided. */
  start(segment: AudioSegment, judge: (signal: AbortSignal) => Promise<MonitorDecision>): Promise<MonitorDecision> {
    this.cancel();
    const controller = new AbortController();
    const decision = judge(controller.signal);
    decision.catch(() => {}); // a voided or failed verdict is simply not used
    this.pending = { startMs: segment.startMs, endMs: segment.endMs, decision, controller };
    return decision;
  }

  /** The verdict started for exactly this segment, if any (taken: it is used once). */
  take(segment: AudioSegment): Promise<MonitorDecision> | null {
    const p = this.pending;
    if (!p || p.startMs !== segment.startMs || p.endMs !== segment.endMs) return null;
    this.pending = null;
    return p.decision;
  }

  /** The speech went on (or the session ended): the verdict in progress is dropped. */
  cancel(): void {
    this.pending?.controller.abort();
    this.pending = null;
  }
}

import type { ServerEvent } from './event-printer.js';

/**
 * Knows when a conversation has gone quiet: input sent, nobody speaking, no segment
 * waiting for the monitor, no answer expected or running, and no event for `settleMs`.
 * Also records whether anything went wrong (the exit code).
 */
export class TurnTracker {
  inputFinished = false;
  failures = 0;
  private speaking = false;
  private pendingSegments = 0;
  private awaitingResponse = 0;
  private readonly active = new Set<string>();
  private lastEventAtMs = performance.now();

  constructor(private readonly settleMs: number) {}

  /** A `response.create` was sent: an answer (or an error) is due. */
  expectResponse(): void {
    this.awaitingResponse += 1;
  }

  observe(e: ServerEvent): void {
    this.lastEventAtMs = performance.now();
    switch (e.type) {
      case 'input_audio_buffer.speech_started':
        this.speaking = true;
        break;
      case 'input_audio_buffer.speech_stopped':
        this.speaking = false;
        break;
      case 'input_audio_buffer.committed':
        this.pendingSegments += 1;
        break;
      case 'duet.monitor.state':
        if (e.item_id !== null) this.pendingSegments = Math.max(0, this.pendingSegments - 1);
        break;
      case 'response.created':
        this.awaitingResponse = Math.max(0, this.awaitingResponse - 1);
        this.active.add(e.response.id);
        break;
      case 'response.done':
        this.active.delete(e.response.id);
        if (e.response.status === 'failed') this.failures += 1;
        break;
      case 'error':
        // Redundant cancels are harmless by protocol; everything else counts.
        if (e.error.code !== 'response_cancel_not_active') this.failures += 1;
        // An error instead of an answer (no model, bad request): nothing more is coming for it.
        this.awaitingResponse = 0;
        if (e.error.code === 'model_unavailable') this.pendingSegments = 0;
        break;
    }
  }

  quiet(nowMs = performance.now()): boolean {
    return (
      this.inputFinished &&
      !this.speaking &&
      this.pendingSegments === 0 &&
      this.awaitingResponse === 0 &&
      this.active.size === 0 &&
      nowMs - this.lastEventAtMs >= this.settleMs
    );
  }
}

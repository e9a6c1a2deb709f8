// An answer prepared during the silence: the monitor decision and the generation start at a short
// pause, before the silence timer confirms the turn (also over a paused answer: the answer to the
// interruption, with the paused answer as the user heard it). Nothing leaves this object until the turn is
// confirmed (adopt: a ResponseRun then streams what was generated, then the rest live); if the
// user goes on speaking it is discarded (abort; no events, no history, no usage).
import type { AudioSegment, ChatMessage, GenerateRequest, GenerationEvent, ModelInstance, MonitorDecision } from '../../models/types.js';
import type { Config } from '../config/schema.js';

/**
 * Whether pauses start speculative answers. `auto`: only with the end-of-turn model, whose
 * probability makes each start likely to be used (at every pause, most starts of a sentence with
 * pauses are discarded: model time spent for nothing).
 */
export function speculates(turns: Pick<Config['turns'], 'speculative'>, modelLoaded: boolean): boolean {
  return turns.speculative === true || (turns.speculative === 'auto' && modelLoaded);
}

export interface SpeculationStart {
  /** The speech so far, cut where the pause began: the segment the silence timer will produce. */
  segment: AudioSegment;
  transcript: string | undefined;
  /** The instance that will answer (the monitor now: roles swap when a turn is answered). */
  instance: ModelInstance;
  /** History the monitor sees (without the new speech). */
  history: ChatMessage[];
  /** The monitor may say the turn is incomplete (see MonitorRequest). */
  allowIncomplete: boolean;
  /** The conversation as the answer will see it, the new speech last. */
  messages: ChatMessage[];
  request: Omit<GenerateRequest, 'messages' | 'signal'>;
  /** The conversation's length once the confirmed turn is in it: any other change makes this stale. */
  expectedLength: number;
  /** Over a paused answer: the text it had sent (what `messages` holds for it); null when none was playing. */
  answerText: string | null;
  signal: AbortSignal;
}

export class Speculation {
  readonly startedAt = performance.now();
  readonly decision: Promise<MonitorDecision>;
  private readonly controller = new AbortController();
  private readonly events: GenerationEvent[] = [];
  private finished = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private adopted = false;

  constructor(readonly start: SpeculationStart) {
    const signal = AbortSignal.any([this.controller.signal, start.signal]);
    this.decision = start.instance.classify({ segment: start.segment, history: start.history, signal, allowIncomplete: start.allowIncomplete, ...(start.transcript ? { transcript: start.transcript } : {}) });
    this.decision.catch(() => {}); // a discarded speculation's decision is never awaited
    void this.pump(signal);
  }

  /**
   * Whether this speculation is for the turn the silence timer has just confirmed (`answerText`:
   * the text the answer playing now has sent, null when none is).
   */
  matches(segment: AudioSegment, transcript: string | undefined, instance: ModelInstance | null, conversationLength: number, answerText: string | null): boolean {
    const s = this.start;
    return (
      !this.controller.signal.aborted &&
      s.answerText === answerText &&
      s.segment.startMs === segment.startMs &&
      s.segment.endMs === segment.endMs &&
      (s.transcript ?? '') === (transcript ?? '') &&
      s.instance === instance &&
      conversationLength === s.expectedLength
    );
  }

  /**
   * The turn is confirmed: a generator for the ResponseRun whose stream is this speculation's
   * (buffered events first). The run's abort signal aborts it.
   */
  adopt(): ModelInstance {
    this.adopted = true;
    const self = this;
    const base = this.start.instance;
    return {
      id: base.id,
      classify: (request) => base.classify(request),
      close: () => Promise.resolve(),
      generate(request: GenerateRequest): AsyncIterable<GenerationEvent> {
        request.signal.addEventListener('abort', () => self.controller.abort(), { once: true });
        return self.replay();
      },
    };
  }

  /** The user went on speaking (or the turn was decided otherwise): stop; returns the model time spent. */
  discard(): number {
    if (this.adopted) return 0;
    this.controller.abort();
    return performance.now() - this.startedAt;
  }

  private async pump(signal: AbortSignal): Promise<void> {
    try {
      for await (const event of this.start.instance.generate({ ...this.start.request, messages: this.start.messages, signal })) {
        this.events.push(event);
        this.notify();
      }
    } catch (err) {
      this.failure = err;
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async *replay(): AsyncGenerator<GenerationEvent> {
    let next = 0;
    for (;;) {
      while (next < this.events.length) yield this.events[next++]!;
      if (this.finished) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure) throw this.failure;
  }
}

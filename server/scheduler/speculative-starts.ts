// The scheduler's one pending speculative start (turns/speculation.ts): what it is prepared from,
// whether it still fits the turn the silence timer confirms, and its metrics. When a start may
// happen at all depends on the scheduler's state and stays there.
import type { AudioSegment, ChatMessage, GenerateRequest, ModelInstance } from '../../models/types.js';
import type { Conversation } from '../conversation/conversation.js';
import type { Metrics } from '../metrics.js';
import type { ResponseRun } from '../response/response-run.js';
import type { HeldTurn, TurnInput } from '../turns/held-turn.js';
import { Speculation } from '../turns/speculation.js';

export interface SpeculativeStartsDeps {
  conversation: Conversation;
  metrics: Pick<Metrics, 'speculativeStarts' | 'speculativeUsed' | 'speculativeDiscardedMs'>;
  signal: AbortSignal;
  historyTurns: number;
}

export class SpeculativeStarts {
  private current: Speculation | null = null;

  constructor(private readonly d: SpeculativeStartsDeps) {}

  /** Whether an answer is being prepared now. */
  get pending(): boolean {
    return this.current !== null;
  }

  /**
   * Starts the monitor decision and the answer on `instance` for the speech so far, unreleased.
   * `held`: a held first piece the speech merges with. `over`: the paused answer this speech would
   * interrupt; the new answer then sees it as the user heard it (the text sent so far, which is
   * what it is cut to if the turn interrupts it).
   */
  start(p: { segment: AudioSegment; transcript: string | undefined; instance: ModelInstance; held: HeldTurn | null; over: ResponseRun | null; allowIncomplete: boolean; request: Omit<GenerateRequest, 'messages' | 'signal'> }): Speculation {
    const { conversation, historyTurns } = this.d;
    const exclude = new Set(p.held ? [p.held.item.id] : []);
    const speech: ChatMessage = { role: 'user', content: [{ type: 'audio', segment: p.segment, ...(p.transcript ? { transcript: p.transcript } : {}) }] };
    const answerText = p.over ? p.over.sentText() : null;
    const replaced = p.over && answerText !== null ? { answerText: new Map([[p.over.item.id, answerText]]) } : {};
    // Over an answer the history holds it (as heard); otherwise the new speech's own item is left out.
    const historyItems = p.over ? historyTurns * 2 : Math.max(1, historyTurns * 2 - 1);
    this.discard();
    this.current = new Speculation({
      segment: p.segment,
      transcript: p.transcript,
      instance: p.instance,
      history: conversation.toMessages({ lastItems: historyItems, exclude, ...replaced }),
      messages: [...conversation.toMessages({ keepImagesInLast: 1, exclude, ...replaced }), speech],
      request: p.request,
      // The new piece's item is added; a held piece's item is then merged away.
      expectedLength: conversation.length + 1 - exclude.size,
      answerText,
      allowIncomplete: p.allowIncomplete,
      signal: this.d.signal,
    });
    this.d.metrics.speculativeStarts.inc();
    return this.current;
  }

  /** The pending start is void (more speech, a resumed answer, the session closing). */
  discard(): void {
    this.drop(this.current);
    this.current = null;
  }

  /**
   * The pending start if it was prepared for exactly this turn (same speech, instance, conversation
   * and paused answer); any other is discarded. `answerText`: the text the answer playing now has
   * sent, null when none is.
   */
  take(turn: TurnInput, instance: ModelInstance | null, answerText: string | null): Speculation | null {
    const speculation = this.current;
    this.current = null;
    if (!speculation) return null;
    const hasImages = turn.item.parts.some((p) => p.type === 'input_image');
    if (!hasImages && speculation.matches(turn.segment, turn.transcript, instance, this.d.conversation.length, answerText)) return speculation;
    this.drop(speculation);
    return null;
  }

  /** A taken start that will not be used after all; the model time it spent is counted. */
  drop(speculation: Speculation | null): void {
    if (!speculation) return;
    const spentMs = speculation.discard();
    if (spentMs > 0) this.d.metrics.speculativeDiscardedMs.inc(spentMs);
  }

  /** A taken start became the answer. */
  used(): void {
    this.d.metrics.speculativeUsed.inc();
  }
}

import type { Conversation } from '../conversation/conversation.js';
import type { Metrics } from '../metrics.js';
import type { EventSink } from '../response/event-sink.js';
import type { EndOfTurnVerdict } from '../turns/end-of-turn.js';
import { mergeInto, mergeSegments, mergeTranscripts, type HeldTurn, type TurnInput } from '../turns/held-turn.js';
import type { MonitorDecision } from '../../models/types.js';

export interface HeldTurnSlotDeps {
  conversation: Conversation;
  events: EventSink;
  metrics: Metrics;
  /** Whether the hold bound may end the wait now (not while the user speaks, nor once closed). */
  mayExpire: () => boolean;
  /** The bound ran out: the held turn is decided as it is. */
  expire: (held: HeldTurn) => void;
}

/**
 * The one turn a session may hold as incomplete (turns.endOfTurn), and the timer of its bound:
 * speech that follows merges into it; without more speech it is decided as it is.
 */
export class HeldTurnSlot {
  private held: HeldTurn | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: HeldTurnSlotDeps) {}

  get turn(): HeldTurn | null {
    return this.held;
  }

  /** The bound's timer is running. */
  get armed(): boolean {
    return this.timer !== null;
  }

  /** The turn is incomplete: no answer, no takeover, until more speech merges or `leftMs` runs out (timed from now when `arm`). */
  hold(turn: TurnInput, verdict: EndOfTurnVerdict, decision: MonitorDecision | undefined, leftMs: number, arm: boolean): void {
    this.held = { ...turn, verdict, ...(decision ? { decision } : {}) };
    this.d.metrics.turnsHeld.inc({ source: verdict.source });
    this.d.events.send({ type: 'duet.turn.held', item_id: turn.item.id, source: verdict.source === 'monitor' ? 'monitor' : 'model', probability: verdict.probability, hold_ms: Math.round(leftMs) });
    if (arm) this.arm(leftMs);
  }

  arm(ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timer = null;
      const held = this.held;
      if (!held || !this.d.mayExpire()) return;
      this.held = null;
      this.d.expire(held);
    }, Math.max(0, ms));
  }

  /** More speech: the held turn waits for its segment, untimed. */
  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A new piece of speech after a held one: one turn, one item (the later one), one transcript. */
  mergeInto(input: TurnInput): TurnInput {
    const held = this.held;
    if (!held) return input;
    this.clear();
    const segment = mergeSegments(held.segment, input.segment);
    const transcript = mergeTranscripts(held.transcript, input.transcript);
    mergeInto(input.item, segment, transcript);
    if (this.d.conversation.get(held.item.id)) this.d.conversation.delete(held.item.id);
    // A client that heard of the first piece is told it is gone; one that did not never hears of it.
    if (held.announcement.holding) held.announcement.discard();
    else this.d.events.send({ type: 'conversation.item.deleted', item_id: held.item.id });
    this.d.events.send({ type: 'duet.turn.merged', item_id: input.item.id, merged_item_ids: [held.item.id], transcript: transcript ?? null });
    return { ...input, segment, transcript, endedAtMs: held.endedAtMs };
  }

  /** The held turn stops waiting without an answer of its own (response.create answers it with the rest). */
  drop(): void {
    const held = this.held;
    if (!held) return;
    this.clear();
    held.announcement.release();
  }

  clear(): void {
    this.held = null;
    this.disarm();
  }
}

import type { Logger } from 'pino';
import type { ChatMessage, GenerationStats, ModelInstance } from '../../models/types.js';
import type { ResponseObject } from '../../protocol/schema/server-events.js';
import { itemToWire, type Conversation, type StoredItem } from '../conversation/conversation.js';
import { newId } from '../ids.js';
import type { Metrics } from '../metrics.js';
import type { OutputChannel, PartRef } from './output-channel.js';
import type { EventSink } from './event-sink.js';
import { errorCodeOf } from './error-code.js';

export type CancelReason = 'turn_detected' | 'client_cancelled' | 'session_closed' | 'superseded';
export type ResponseStatus = 'completed' | 'cancelled' | 'failed' | 'incomplete';

export interface ResponseRunParams {
  events: EventSink;
  /** Aborts with the session: the response's own controller derives from it. */
  sessionSignal: AbortSignal;
  conversation: Conversation;
  metrics: Metrics;
  log: Logger;
  generator: ModelInstance;
  messages: ChatMessage[];
  instructions: string;
  modality: 'text' | 'audio';
  maxOutputTokens: number | undefined;
  temperature: number | undefined;
  /** When the user's turn ended (ms, performance clock): response latency is measured from here. */
  latencyFromMs: number;
  /** Makes the output channel; `partRef` addresses the deltas it emits. */
  makeChannel: (ref: PartRef) => OutputChannel;
}

export type { PartRef } from './output-channel.js';

/**
 * One response, from response.created to response.done. The generator streams into an
 * output channel; pause/resume/cancel act on the channel so nothing is lost or duplicated.
 */
export class ResponseRun {
  readonly id = newId('resp');
  readonly item: StoredItem;
  private readonly abort = new AbortController();
  private readonly channel: OutputChannel;
  private readonly ref: PartRef;
  private status: ResponseStatus | null = null;
  private cancelReason: CancelReason | null = null;
  private stats: GenerationStats | null = null;
  private finishedAtMs: number | null = null;
  readonly done: Promise<ResponseStatus>;
  private resolveDone!: (s: ResponseStatus) => void;

  constructor(private readonly p: ResponseRunParams) {
    this.item = { id: newId('item'), role: 'assistant', status: 'in_progress', parts: [] };
    this.ref = { response_id: this.id, item_id: this.item.id, output_index: 0, content_index: 0 };
    this.channel = p.makeChannel(this.ref);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get generatorId(): string {
    return this.p.generator.id;
  }

  get finished(): boolean {
    return this.status !== null;
  }

  /** Held for the user's speech: output stopped, or ducked (OutputChannel.duck). */
  get paused(): boolean {
    return this.channel.paused;
  }

  /** ms timestamp (performance.now) of the answer's first delta to the client, null before. */
  get firstEmitAtMs(): number | null {
    return this.channel.firstEmitAtMs;
  }

  /** Ducked: still playing, lowered. */
  get ducked(): boolean {
    return this.channel.ducked === true;
  }

  /** Text the client has been sent so far. */
  sentText(): string {
    return this.channel.sentText();
  }

  /** Starts streaming; returns at once (await `done` for the end). */
  start(): void {
    const { events: outbound, conversation } = this.p;
    outbound.send({ type: 'response.created', response: this.responseObject('in_progress') });
    const previous = conversation.add(this.item);
    const wireItem = itemToWire(this.item);
    outbound.send({ type: 'response.output_item.added', response_id: this.id, output_index: 0, item: wireItem });
    outbound.send({ type: 'conversation.item.added', previous_item_id: previous, item: wireItem });
    outbound.send({ type: 'response.content_part.added', ...this.ref, part: this.emptyPart() });
    void this.pump();
  }

  pause(): void {
    this.channel.pause();
  }

  resume(): void {
    this.channel.resume();
  }

  /** Lowers the answer's voice while it goes on; false for a channel that cannot (text). */
  duck(gainDb: number): boolean {
    return this.channel.duck?.(gainDb) ?? false;
  }

  /** Audio the client has buffered but not played (null for text answers); see OutputChannel. */
  bufferedAudioMs(): number | null {
    return this.channel.bufferedAudioMs?.() ?? null;
  }

  /** Stops the answer now: aborts the generator, drops unsent output, sends response.done(cancelled). */
  cancel(reason: CancelReason): { staleAudioMs: number } {
    if (this.status !== null || this.cancelReason !== null) return { staleAudioMs: 0 };
    this.cancelReason = reason;
    const t0 = performance.now();
    this.abort.abort();
    const stale = this.channel.cancel();
    this.finish('cancelled');
    this.p.metrics.stopDelayMs.observe(performance.now() - t0);
    return stale;
  }

  /** Applies a client truncate: the stored transcript becomes what was heard at audioEndMs. */
  truncate(audioEndMs: number): boolean {
    const heard = this.channel.truncateAt?.(audioEndMs);
    if (heard === null || heard === undefined) return false;
    this.setText(heard);
    return true;
  }

  private async pump(): Promise<void> {
    const { generator, messages, instructions, log } = this.p;
    try {
      const stream = generator.generate({
        messages,
        instructions,
        signal: AbortSignal.any([this.abort.signal, this.p.sessionSignal]),
        ...(this.p.maxOutputTokens !== undefined ? { maxOutputTokens: this.p.maxOutputTokens } : {}),
        ...(this.p.temperature !== undefined ? { temperature: this.p.temperature } : {}),
      });
      for await (const event of stream) {
        if (this.cancelReason) break;
        if (event.type === 'delta') this.channel.write(event.text);
        else this.stats = event.stats;
      }
      if (this.cancelReason) return;
      await this.channel.end();
      if (this.cancelReason) return;
      this.finish(this.stats?.finishReason === 'length' ? 'incomplete' : 'completed');
    } catch (err) {
      if (this.cancelReason) return;
      const code = errorCodeOf(err);
      log.warn({ err, response_id: this.id, code }, 'generation failed');
      this.channel.cancel();
      this.p.events.error(code, `Generation failed: ${(err as Error).message}`);
      this.finish('failed', { code, message: (err as Error).message });
    }
  }

  private emptyPart() {
    return this.p.modality === 'audio' ? ({ type: 'output_audio', transcript: '' } as const) : ({ type: 'output_text', text: '' } as const);
  }

  private setText(text: string): void {
    this.item.parts = [this.p.modality === 'audio' ? { type: 'output_audio', transcript: text } : { type: 'output_text', text }];
  }

  private finish(status: ResponseStatus, error?: { code: string; message: string }): void {
    if (this.status !== null) return;
    this.status = status;
    this.finishedAtMs = performance.now();
    const { events: outbound, metrics } = this.p;
    const text = this.channel.sentText();
    this.setText(text);
    this.item.status = status === 'completed' ? 'completed' : 'incomplete';
    if (this.channel.firstEmitAtMs !== null) metrics.responseLatencyMs.observe(Math.max(0, this.channel.firstEmitAtMs - this.p.latencyFromMs));
    const part = this.item.parts[0]!;
    if (this.p.modality === 'audio') {
      outbound.send({ type: 'response.output_audio.done', ...this.ref });
      outbound.send({ type: 'response.output_audio_transcript.done', ...this.ref, transcript: text });
    } else {
      outbound.send({ type: 'response.output_text.done', ...this.ref, text });
    }
    outbound.send({ type: 'response.content_part.done', ...this.ref, part: part.type === 'output_audio' ? { type: 'output_audio', transcript: text } : { type: 'output_text', text } });
    const wireItem = itemToWire(this.item);
    outbound.send({ type: 'response.output_item.done', response_id: this.id, output_index: 0, item: wireItem });
    outbound.send({ type: 'conversation.item.done', previous_item_id: null, item: wireItem });
    outbound.send({ type: 'response.done', response: this.responseObject(status, error) });
    this.resolveDone(status);
  }

  private responseObject(status: ResponseObject['status'], error?: { code: string; message: string }): ResponseObject {
    let details: ResponseObject['status_details'] = null;
    if (status === 'cancelled') details = { type: 'cancelled', reason: this.cancelReason ?? 'client_cancelled' };
    else if (status === 'incomplete') details = { type: 'incomplete', reason: 'max_output_tokens' };
    else if (status === 'failed' && error) details = { type: 'failed', error: { type: 'server_error', ...error } };
    const stats = this.stats;
    return {
      id: this.id,
      object: 'realtime.response',
      status,
      status_details: details,
      output: status === 'in_progress' ? [] : [itemToWire(this.item)],
      output_modalities: [this.p.modality],
      usage: stats ? { input_tokens: stats.promptTokens ?? 0, output_tokens: stats.tokens, total_tokens: (stats.promptTokens ?? 0) + stats.tokens } : null,
      duet: { first_token_ms: stats?.firstTokenMs ?? null, tokens_per_second: stats?.tokensPerSecond ?? null, generator: this.p.generator.id },
    };
  }
}

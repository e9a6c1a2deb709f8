// A scheduler without sockets, for the interruption and end-of-turn tests: an array of events stands in for the
// client, scripted instances for the models.
import { pino } from 'pino';
import { DuplexScheduler } from '../../server/scheduler/duplex-scheduler.js';
import { Conversation, type StoredItem } from '../../server/conversation/conversation.js';
import { Metrics } from '../../server/metrics.js';
import { TextChannel } from '../../server/response/text-channel.js';
import { resolveConfig } from '../../server/config/load.js';
import { defaultSettings } from '../../server/realtime/session-settings.js';
import { scriptedModelSet } from '../../models/scripted/index.js';
import type { Script } from '../../models/scripted/script.js';
import type { EventSink } from '../../server/response/event-sink.js';
import type { OutputChannel } from '../../server/response/output-channel.js';
import type { AudioSegment, EndOfTurnModel } from '../../models/types.js';

export interface Sent {
  type: string;
  [key: string]: unknown;
}

export const ANSWER = 'one two three four five six seven eight nine ten eleven twelve';

/**
 * A text channel that can also duck, as a spoken answer's channel does (realtime/speech-channel.ts,
 * tested through the socket): while ducked it keeps emitting and records each delta as lowered.
 */
export class DuckableTextChannel implements OutputChannel {
  ducking = false;
  constructor(private readonly inner: TextChannel) {}
  write(text: string): void {
    this.inner.write(text);
  }
  end(): Promise<void> {
    return this.inner.end();
  }
  pause(): void {
    this.inner.pause();
  }
  resume(): void {
    this.ducking = false;
    this.inner.resume();
  }
  duck(): boolean {
    this.ducking = true;
    return true;
  }
  get ducked(): boolean {
    return this.ducking && !this.inner.paused;
  }
  get paused(): boolean {
    return this.inner.paused || this.ducking;
  }
  cancel(): { staleAudioMs: number } {
    return this.inner.cancel();
  }
  sentText(): string {
    return this.inner.sentText();
  }
  get firstEmitAtMs(): number | null {
    return this.inner.firstEmitAtMs;
  }
}

export function harness(script: Partial<Script>, config: { scheduler?: Record<string, unknown>; turns?: Record<string, unknown>; duckable?: boolean } = {}, endOfTurn?: EndOfTurnModel) {
  const events: Sent[] = [];
  const sink: EventSink = {
    send: (event) => void events.push(event as unknown as Sent),
    error: (code, message) => void events.push({ type: 'error', code, message }),
  };
  const resolved = resolveConfig({ scheduler: config.scheduler ?? {}, turns: config.turns ?? {} });
  const conversation = new Conversation();
  const metrics = new Metrics();
  const lifetime = new AbortController();
  const models = scriptedModelSet({ replies: [{ text: ANSWER }, { text: 'Second answer.' }], tokenDelayMs: 2, decisions: ['<1>'], rules: [], decisionDelayMs: 1, ...script } as Script);
  if (endOfTurn) models.endOfTurn = endOfTurn;
  const settings = defaultSettings('duet', 'none', { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 });
  settings.outputModalities = ['text'];
  /** What the VAD reports as the silence since the speech's last voiced frame. */
  const vad = { trailingSilenceMs: 0 };
  const channels: DuckableTextChannel[] = [];
  const scheduler = new DuplexScheduler({
    events: sink,
    signal: lifetime.signal,
    conversation,
    metrics,
    log: pino({ level: 'silent' }),
    models,
    config: resolved.scheduler,
    turns: resolved.turns,
    settings: () => settings,
    makeChannel: (ref) => {
      let channel: DuckableTextChannel | null = null;
      const text = new TextChannel({ textDelta: (delta) => void events.push({ type: 'response.output_text.delta', ...ref, delta, ...(channel?.ducked ? { ducked: true } : {}) }) });
      if (!config.duckable) return text;
      channel = new DuckableTextChannel(text);
      channels.push(channel);
      return channel;
    },
    trailingSilenceMs: () => vad.trailingSilenceMs,
    resolveModality: () => 'text',
  });
  const classifyCalls = () => models.instances[0].classifyCalls.length + models.instances[1].classifyCalls.length;
  const generateCalls = () => [...models.instances[0].generateCalls, ...models.instances[1].generateCalls];
  return { events, scheduler, conversation, metrics, lifetime, models, settings, vad, channels, classifyCalls, generateCalls, types: () => events.map((e) => e.type) };
}

/** A spoken piece of a turn at [startMs, endMs) with a transcript, added to the conversation. */
export function speech(h: ReturnType<typeof harness>, id: string, startMs: number, endMs: number, transcript?: string): { item: StoredItem; segment: AudioSegment; transcript: string | undefined } {
  const samples = new Float32Array(((endMs - startMs) * 16) | 0).fill(startMs / 10000);
  const segment: AudioSegment = { samples, sampleRate: 16000, startMs, endMs, mel: { preset: 'whisper', frames: 2, bins: 80, data: new Float32Array(160).fill(startMs) } };
  const item: StoredItem = { id, role: 'user', status: 'completed', parts: [{ type: 'input_audio', transcript: transcript ?? null, segment }] };
  h.conversation.add(item);
  return { item, segment, transcript };
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

export function answerText(events: Sent[]): string {
  return events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
}

/** Starts an answer (a text query) and waits for its first delta. */
export async function untilAnswering(h: ReturnType<typeof harness>): Promise<void> {
  h.scheduler.createResponse();
  while (!h.events.some((e) => e.type === 'response.output_text.delta')) await tick(2);
}

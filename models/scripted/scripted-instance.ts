import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatMessage, GenerateRequest, GenerationEvent, ModelInstance, MonitorDecision, MonitorOutcome, MonitorRequest } from '../types.js';
import type { ScriptCursor } from './script.js';

/** Requests kept per instance: enough for tests, bounded for long-running scripted servers. */
const RECENT_CALLS = 64;

function remember<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > RECENT_CALLS) list.shift();
}

const BY_LABEL: Record<'<1>' | '<2>' | '<3>' | '<4>', MonitorOutcome> = { '<1>': 'query', '<2>': 'noise', '<3>': 'text', '<4>': 'incomplete' };

function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    return m.content.map((c) => (c.type === 'text' ? c.text : c.type === 'audio' ? (c.transcript ?? '') : '')).join(' ');
  }
  return '';
}

/** TESTING ONLY: a deterministic model instance that plays a script. Never the server's default. */
export class ScriptedInstance implements ModelInstance {
  /** The latest requests it received (at most RECENT_CALLS), for tests to inspect what context reached the model. */
  readonly generateCalls: GenerateRequest[] = [];
  readonly classifyCalls: MonitorRequest[] = [];
  /** Generations currently running (to prove none is orphaned). */
  active = 0;

  constructor(
    readonly id: string,
    private readonly cursor: ScriptCursor,
  ) {}

  async *generate(request: GenerateRequest): AsyncIterable<GenerationEvent> {
    remember(this.generateCalls, request);
    this.active += 1;
    const started = performance.now();
    let firstTokenAt: number | null = null;
    let tokens = 0;
    let aborted = false;
    try {
      const text = this.cursor.nextReply(lastUserText(request.messages));
      const words = text.match(/\S+\s*/g) ?? [];
      const script = this.cursor.script;
      const limit = request.maxOutputTokens ?? Infinity;
      for (const word of words) {
        if (tokens >= limit) break;
        const delay = tokens === 0 ? (script.firstTokenDelayMs ?? script.tokenDelayMs) : script.tokenDelayMs;
        try {
          if (delay > 0) await sleep(delay, undefined, { signal: request.signal });
          else await new Promise((r) => setImmediate(r));
        } catch {
          /* aborted while waiting: fall through to the check */
        }
        if (request.signal.aborted) {
          aborted = true;
          break;
        }
        firstTokenAt ??= performance.now();
        tokens += 1;
        yield { type: 'delta', text: word };
      }
      const decodeS = firstTokenAt === null ? 0 : (performance.now() - firstTokenAt) / 1000;
      yield {
        type: 'done',
        stats: {
          firstTokenMs: firstTokenAt === null ? null : firstTokenAt - started,
          tokens,
          tokensPerSecond: tokens > 1 && decodeS > 0 ? (tokens - 1) / decodeS : null,
          finishReason: aborted ? 'aborted' : tokens < words.length ? 'length' : 'stop',
          promptTokens: request.messages.length,
        },
      };
    } finally {
      this.active -= 1;
    }
  }

  async classify(request: MonitorRequest): Promise<MonitorDecision> {
    remember(this.classifyCalls, request);
    const started = performance.now();
    const delay = this.cursor.script.decisionDelayMs;
    if (delay > 0) await sleep(delay, undefined, request.signal ? { signal: request.signal } : undefined);
    const token = BY_LABEL[this.cursor.nextDecision(request.transcript, request.segment?.samples)];
    const probabilities: MonitorDecision['probabilities'] = { query: 0.05, noise: 0.05, text: 0.05 };
    if (token === 'incomplete') probabilities.incomplete = 0.85;
    else probabilities[token] = 0.9;
    return { token, probabilities, elapsedMs: performance.now() - started };
  }

  async close(): Promise<void> {}
}

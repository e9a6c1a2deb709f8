// The VITA monitor on an OpenAI-compatible engine: one request with
// `max_tokens: 1`, `logprobs: true`, `top_logprobs: K`, read the first token's
// distribution over the state tokens. Fallbacks (method `auto`): an engine that
// returns no logprobs -> the single generated token is parsed; an engine that
// rejects the logprobs fields (400) or whose first token names no state ->
// a constrained choice (JSON-schema enum, or vLLM's choice constraint).

import type { MonitorDecision, MonitorOutcome, MonitorRequest } from '../types.js';
import type { EngineClient, RemoteLog } from './engine-client.js';
import type { EngineResponse } from './engine-response.js';
import { abortError, isRemoteEngineError, RemoteEngineError, type RemoteRole } from './errors.js';
import { NOTE_AUDIO_WITHOUT_TRANSCRIPT, toWireMessages, type WireMessage } from './messages.js';
import { argmaxState, matchStateToken, oneHot, stateDistribution, type ListedLogprob, type OutcomeStrings, type StateStrings } from './state-tokens.js';

export type MonitorMethod = 'auto' | 'logprobs' | 'constrained';
/** json_schema: portable (OpenAI, vLLM, llama.cpp, Ollama); structured_outputs: vLLM >= 0.12; guided_choice: vLLM < 0.12. */
export type ConstrainedChoice = 'json_schema' | 'structured_outputs' | 'guided_choice';

export interface MonitorSettings {
  client: EngineClient;
  role: RemoteRole;
  stateTokens: StateStrings;
  /** The fourth string, `incomplete`, read when a request allows it; null: this model has none. */
  incompleteToken: string | null;
  topLogprobs: number;
  method: MonitorMethod;
  constrained: ConstrainedChoice;
  /** System instructions naming the state tokens; null for models trained to emit them (VITA). `{query}` `{noise}` `{text}` are replaced. */
  instructions: string | null;
  extraBody?: Record<string, unknown>;
  log: RemoteLog;
}

export const DEFAULT_MONITOR_INSTRUCTIONS = [
  'You are the listening half of a voice assistant. Decide whether the latest user input is meant for the assistant.',
  'Reply with exactly one token and nothing else:',
  '{query} if it is a spoken question or request addressed to the assistant;',
  '{noise} if it is background sound, speech addressed to someone else, or a remark that needs no answer;',
  '{text} if it is a typed text query.',
].join('\n');

/** Added to the instructions when the monitor may say the turn is not finished. */
export const INCOMPLETE_INSTRUCTION = '{incomplete} if the speaker stopped in the middle of a sentence and is about to go on (the request is not finished yet).';

interface EngineReply {
  content: string | null;
  listed: ListedLogprob[] | null;
}

export class RemoteMonitor {
  readonly #s: MonitorSettings;
  /** Set once the engine refused the logprobs fields: later calls go straight to the constrained choice. */
  #logprobsRefused = false;

  constructor(settings: MonitorSettings) {
    this.#s = settings;
  }

  get method(): 'logprobs' | 'constrained' {
    return this.#s.method === 'constrained' || this.#logprobsRefused ? 'constrained' : 'logprobs';
  }

  async classify(request: MonitorRequest): Promise<MonitorDecision> {
    const startedAt = performance.now();
    if (request.signal?.aborted) throw abortError();
    const incomplete = request.allowIncomplete ? this.#s.incompleteToken : null;
    const tokens: OutcomeStrings = incomplete === null ? this.#s.stateTokens : [...this.#s.stateTokens, incomplete];
    const messages = this.#messages(request, incomplete);
    const decide = (probabilities: MonitorDecision['probabilities']): MonitorDecision => ({
      token: argmaxState(probabilities),
      probabilities,
      elapsedMs: performance.now() - startedAt,
    });
    const sure = (token: MonitorOutcome) => decide(oneHot(token, incomplete !== null));
    if (this.method === 'constrained') return sure(await this.#constrained(messages, tokens, request.signal));

    let reply: EngineReply;
    try {
      reply = await this.#send(
        { max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: this.#s.topLogprobs, messages },
        request.signal,
      );
    } catch (err) {
      const refused = isRemoteEngineError(err) && err.code === 'engine_rejected' && err.status === 400 && /logprob/i.test(err.message);
      if (!refused || this.#s.method !== 'auto') throw err;
      this.#logprobsRefused = true;
      this.#s.log.warn({ role: this.#s.role, baseUrl: this.#s.client.baseUrl }, 'engine refuses logprobs; monitor uses a constrained choice');
      return sure(await this.#constrained(messages, tokens, request.signal));
    }
    if (reply.listed) {
      const p = stateDistribution(reply.listed, tokens);
      if (p) return decide(p);
    }
    const said = matchStateToken(reply.content, tokens);
    if (said) return sure(said);
    if (this.#s.method === 'logprobs') {
      throw protocolError(this.#s, `first token names no state token (got ${JSON.stringify(reply.content)})`);
    }
    return sure(await this.#constrained(messages, tokens, request.signal));
  }

  #messages(request: MonitorRequest, incomplete: string | null): WireMessage[] {
    const [query, noise, text] = this.#s.stateTokens;
    // Instructions (when the model needs them) define the fourth string too when it is asked for.
    const withIncomplete = this.#s.instructions !== null && incomplete !== null ? `${this.#s.instructions}\n${INCOMPLETE_INSTRUCTION.replace('{incomplete}', incomplete)}` : this.#s.instructions;
    const instructions = withIncomplete?.replaceAll('{query}', query).replaceAll('{noise}', noise).replaceAll('{text}', text);
    const messages = toWireMessages(request.history, { instructions, vision: false, images: 'none' });
    if (request.transcript !== undefined || request.segment !== undefined) {
      messages.push({ role: 'user', content: request.transcript?.trim() || NOTE_AUDIO_WITHOUT_TRANSCRIPT });
    }
    return messages;
  }

  async #constrained(messages: WireMessage[], tokens: OutcomeStrings, signal: AbortSignal | undefined): Promise<MonitorOutcome> {
    const choices = [...tokens];
    const fields =
      this.#s.constrained === 'guided_choice'
        ? { guided_choice: choices, max_tokens: 8 }
        : this.#s.constrained === 'structured_outputs'
          ? { structured_outputs: { choice: choices }, max_tokens: 8 }
          : {
            max_tokens: 32,
            response_format: {
              type: 'json_schema',
              json_schema: {
                name: 'state_token',
                strict: true,
                schema: {
                  type: 'object',
                  properties: { state: { type: 'string', enum: choices } },
                  required: ['state'],
                  additionalProperties: false,
                },
              },
            },
          };
    const reply = await this.#send({ ...fields, temperature: 0, messages }, signal);
    let named: string | null = reply.content;
    try {
      const parsed = JSON.parse(reply.content ?? '') as { state?: unknown };
      if (typeof parsed?.state === 'string') named = parsed.state;
    } catch {
      // guided_choice and lenient engines answer with the bare token
    }
    const token = matchStateToken(named, tokens);
    if (!token) throw protocolError(this.#s, `constrained choice names no state token (got ${JSON.stringify(reply.content)})`);
    return token;
  }

  async #send(fields: Record<string, unknown>, signal: AbortSignal | undefined): Promise<EngineReply> {
    const { client, role } = this.#s;
    const body = JSON.stringify({ ...this.#s.extraBody, model: client.model, stream: false, ...fields });
    return client.request({ role, method: 'POST', path: '/chat/completions', body, signal }, parseCompletion);
  }
}

function protocolError(s: MonitorSettings, message: string): RemoteEngineError {
  return new RemoteEngineError({ code: 'engine_protocol_error', role: s.role, baseUrl: s.client.baseUrl, message });
}

/** Reads a non-streamed chat completion: content and, when present, the first token's logprobs. */
export function parseCompletion(body: string, response: EngineResponse): EngineReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw response.protocolError('completion body is not JSON', err);
  }
  const choice = (parsed as { choices?: unknown[] } | null)?.choices?.[0] as
    | { message?: { content?: unknown }; logprobs?: { content?: unknown } | null }
    | undefined;
  if (!choice || typeof choice !== 'object') throw response.protocolError('completion without choices[0]');
  const content = choice.message?.content;
  if (content !== undefined && content !== null && typeof content !== 'string') throw response.protocolError('message.content is not a string');
  const first = Array.isArray(choice.logprobs?.content) ? (choice.logprobs.content[0] as Record<string, unknown> | undefined) : undefined;
  let listed: ListedLogprob[] | null = null;
  if (first && typeof first === 'object') {
    listed = [];
    const push = (entry: unknown) => {
      const e = entry as { token?: unknown; logprob?: unknown } | null;
      if (e && typeof e.token === 'string' && typeof e.logprob === 'number') listed!.push({ token: e.token, logprob: e.logprob });
    };
    push(first);
    if (Array.isArray(first.top_logprobs)) for (const entry of first.top_logprobs) push(entry);
  }
  return { content: typeof content === 'string' ? content : null, listed };
}

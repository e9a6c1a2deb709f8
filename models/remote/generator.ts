// Streaming Chat Completions -> GenerationEvents. A failure before the first
// delta is retried within the endpoint's budget; after it, the error is thrown
// with `outputStarted` and nothing is ever re-sent. Abort destroys the socket
// synchronously (EngineResponse) and the iterator ends with `done: aborted`.

import type { GenerateRequest, GenerationEvent, GenerationStats } from '../types.js';
import { newChunkState, readChatChunk } from './chat-chunks.js';
import { ChunkReader } from './chunk-reader.js';
import type { EngineClient } from './engine-client.js';
import type { EngineResponse } from './engine-response.js';
import { abortError, isRemoteEngineError, RemoteEngineError, type RemoteRole } from './errors.js';
import { toWireMessages } from './messages.js';
import { SseParser } from './sse.js';
import { LeadingTokenStripper } from './state-tokens.js';

export interface GeneratorSettings {
  client: EngineClient;
  role: RemoteRole;
  vision: boolean;
  maxNewTokens: number;
  /** State-token strings to strip from the start of a reply (VITA-style models emit one first). */
  stripLeading: readonly string[] | null;
  /** Extra request fields for this engine (e.g. vLLM `skip_special_tokens`). */
  extraBody?: Record<string, unknown>;
}

function finishOf(reason: string | null): GenerationStats['finishReason'] {
  return reason === 'length' ? 'length' : 'stop';
}

export async function* streamChat(
  settings: GeneratorSettings,
  request: GenerateRequest,
  onError?: (err: unknown) => void,
): AsyncGenerator<GenerationEvent> {
  const { client, role } = settings;
  const { signal } = request;
  const startedAt = performance.now();
  let deltas = 0;
  let firstAt = 0;
  let lastAt = 0;
  let usageTokens: number | undefined;
  let promptTokens: number | undefined;
  const done = (finishReason: GenerationStats['finishReason']): GenerationEvent => {
    const tokens = usageTokens ?? deltas;
    const span = lastAt - firstAt;
    return {
      type: 'done',
      stats: {
        firstTokenMs: deltas > 0 ? firstAt - startedAt : null,
        tokens,
        tokensPerSecond: tokens > 1 && span > 0 ? ((tokens - 1) * 1000) / span : null,
        finishReason,
        ...(promptTokens === undefined ? {} : { promptTokens }),
      },
    };
  };
  if (signal.aborted) {
    yield done('aborted');
    return;
  }
  const body = JSON.stringify({
    ...settings.extraBody,
    model: client.model,
    messages: toWireMessages(request.messages, { instructions: request.instructions, vision: settings.vision }),
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: request.maxOutputTokens ?? settings.maxNewTokens,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  });
  const budget = { retriesUsed: 0 };

  // The response is closed (slot released, socket destroyed unless read to the
  // end) before `done` is yielded or a backoff starts: a consumer that stops
  // after `done` must not keep the slot.
  for (;;) {
    let response: EngineResponse | undefined;
    let finish: GenerationStats['finishReason'] | undefined;
    let failure: unknown;
    const stripper = settings.stripLeading ? new LeadingTokenStripper(settings.stripLeading) : null;
    try {
      response = await client.open({ role, method: 'POST', path: '/chat/completions', body, accept: 'text/event-stream', signal }, budget);
      const r = response;
      const state = newChunkState();
      const fail = (code: RemoteEngineError['code'], message: string): never =>
        r.fail(new RemoteEngineError({ code, role, baseUrl: client.baseUrl, message, outputStarted: deltas > 0 }));

      if (!r.contentType.includes('text/event-stream')) {
        // Some proxies and engines answer a stream request with one JSON completion.
        const text = await readWholeCompletion(r, fail);
        r.close();
        if (text !== '') {
          firstAt = lastAt = performance.now();
          deltas++;
          yield { type: 'delta', text };
        }
        finish = 'stop';
      } else {
        r.res.setEncoding('utf8');
        const parser = new SseParser();
        let sawDone = false;
        try {
          // Read to the end of the body even after [DONE]: leaving the loop early
          // would destroy the socket instead of returning it to the keep-alive pool.
          const reader = new ChunkReader<string>(r.res);
          let chunk: string | null;
          while ((chunk = await reader.next()) !== null) {
            if (sawDone) continue;
            r.touch();
            const count = parser.feed(chunk);
            for (let i = 0; i < count; i++) {
              if (signal.aborted) throw abortError();
              const data = parser.data[i]!;
              if (data === '[DONE]') {
                sawDone = true;
                r.expectEnd();
                break;
              }
              readChatChunk(data, state, fail);
              if (state.completionTokens !== undefined) usageTokens = state.completionTokens;
              if (state.promptTokens !== undefined) promptTokens = state.promptTokens;
              let text = state.text;
              if (text === null) continue;
              if (stripper) {
                text = stripper.push(text);
                if (text === '') continue;
              }
              lastAt = performance.now();
              if (deltas === 0) {
                firstAt = lastAt;
                r.markFirstToken();
              }
              deltas++;
              yield { type: 'delta', text };
            }
          }
        } catch (err) {
          // A socket lost after the engine said why it finished costs only the usage chunk.
          const lateLoss = (sawDone || state.finishReason !== null) && !signal.aborted && !isRemoteEngineError(err);
          if (!lateLoss) throw r.readError(err);
          sawDone = true;
        }
        // A stream may end without [DONE] only after the engine said why it finished.
        if (!sawDone && state.finishReason === null) throw r.readError();
        r.close();
        const rest = stripper?.flush() ?? '';
        if (rest !== '') {
          deltas++;
          yield { type: 'delta', text: rest };
        }
        finish = finishOf(state.finishReason);
      }
    } catch (err) {
      failure = err;
    } finally {
      response?.close();
    }

    if (finish !== undefined) {
      yield done(finish);
      return;
    }
    if (signal.aborted) {
      yield done('aborted');
      return;
    }
    if (!isRemoteEngineError(failure)) {
      onError?.(failure);
      throw failure;
    }
    failure.outputStarted = deltas > 0;
    failure.attempts = budget.retriesUsed + 1;
    let again = false;
    try {
      again = await client.backoff(failure, budget, signal);
    } catch {
      // aborted while waiting
    }
    if (signal.aborted) {
      yield done('aborted');
      return;
    }
    if (!again) {
      onError?.(failure);
      throw failure;
    }
  }
}

async function readWholeCompletion(response: EngineResponse, fail: (code: RemoteEngineError['code'], message: string) => never): Promise<string> {
  const body = await response.text();
  let parsed: { error?: { message?: string }; choices?: { message?: { content?: unknown } }[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return fail('engine_protocol_error', `expected an event stream, got ${response.contentType || 'no content type'}`);
  }
  if (parsed.error) return fail('engine_error', parsed.error.message ?? 'error');
  const content = parsed.choices?.[0]?.message?.content;
  if (typeof content !== 'string') return fail('engine_protocol_error', 'completion without choices[0].message.content');
  return content;
}

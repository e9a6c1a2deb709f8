// Reads one `chat.completion.chunk` payload as OpenAI and vLLM send it:
//   {"id":…,"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}
// the usage chunk (`"choices":[]`, `"usage":{…}`) and the in-stream error
// payloads (`{"error":{message,type,code}}`, legacy vLLM `{"object":"error",…}`).
// `reasoning_content` deltas (thinking models) are not part of the spoken answer
// and are skipped.

import type { RemoteErrorCode } from './errors.js';

export interface ChunkState {
  /** Content delta of the last chunk read, or null. */
  text: string | null;
  finishReason: string | null;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
}

export type ChunkFailure = (code: RemoteErrorCode, message: string) => never;

export function newChunkState(): ChunkState {
  return { text: null, finishReason: null, promptTokens: undefined, completionTokens: undefined };
}

function excerpt(payload: string): string {
  return payload.length > 80 ? `${payload.slice(0, 80)}…` : payload;
}

/** Updates `state` from one SSE data payload; calls `fail` (which throws) on errors and malformed chunks. */
export function readChatChunk(payload: string, state: ChunkState, fail: ChunkFailure): void {
  state.text = null;
  let chunk: unknown;
  try {
    chunk = JSON.parse(payload);
  } catch {
    fail('engine_protocol_error', `stream chunk is not JSON: ${excerpt(payload)}`);
  }
  if (chunk === null || typeof chunk !== 'object' || Array.isArray(chunk)) {
    fail('engine_protocol_error', `stream chunk is not an object: ${excerpt(payload)}`);
  }
  const obj = chunk as Record<string, unknown>;
  if (obj.error) {
    const inner = obj.error as { message?: unknown };
    fail('engine_error', `error inside the stream: ${typeof inner.message === 'string' ? inner.message : excerpt(payload)}`);
  }
  if (obj.object === 'error') {
    fail('engine_error', `error inside the stream: ${typeof obj.message === 'string' ? obj.message : excerpt(payload)}`);
  }
  const usage = obj.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
  if (usage && typeof usage === 'object') {
    if (typeof usage.prompt_tokens === 'number') state.promptTokens = usage.prompt_tokens;
    if (typeof usage.completion_tokens === 'number') state.completionTokens = usage.completion_tokens;
  }
  const choices = obj.choices;
  if (!Array.isArray(choices)) fail('engine_protocol_error', `stream chunk has no choices: ${excerpt(payload)}`);
  if (choices.length === 0) return; // the usage chunk
  const choice = choices[0] as { delta?: unknown; finish_reason?: unknown } | null;
  if (choice === null || typeof choice !== 'object') fail('engine_protocol_error', `stream choice is not an object: ${excerpt(payload)}`);
  const delta = choice.delta as { content?: unknown } | null | undefined;
  if (delta === null || typeof delta !== 'object') fail('engine_protocol_error', `stream choice has no delta: ${excerpt(payload)}`);
  const content = delta.content;
  if (typeof content === 'string') {
    if (content.length > 0) state.text = content;
  } else if (content !== undefined && content !== null) {
    fail('engine_protocol_error', `delta.content is not a string: ${excerpt(payload)}`);
  }
  if (typeof choice.finish_reason === 'string') state.finishReason = choice.finish_reason;
}

// The remote engine's errors. The server maps a thrown RemoteEngineError to an `error` event
// with its `code`, a row of the one error table (protocol/errors.ts).
import { errorCodesWithPrefix, type RemoteErrorCode } from '../../protocol/errors.js';

/** Which job an endpoint does; errors and readiness name it so operators know what is down. */
export type RemoteRole = 'generator' | 'monitor' | 'asr' | 'tts';

/** The remote engine's codes: rows of the one error table (protocol/errors.ts). */
export const REMOTE_ERROR_CODES: readonly RemoteErrorCode[] = errorCodesWithPrefix('engine_') as RemoteErrorCode[];
export type { RemoteErrorCode };

export interface RemoteEngineErrorInit {
  code: RemoteErrorCode;
  role: RemoteRole;
  baseUrl: string;
  message: string;
  status?: number;
  retryAfterMs?: number;
  /** True when part of the answer was already handed on (it is never replayed). */
  outputStarted?: boolean;
  attempts?: number;
  cause?: unknown;
}

export class RemoteEngineError extends Error {
  override name = 'RemoteEngineError';
  readonly code: RemoteErrorCode;
  readonly role: RemoteRole;
  readonly baseUrl: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  outputStarted: boolean;
  attempts: number;

  constructor(init: RemoteEngineErrorInit) {
    super(`${init.role} engine ${init.baseUrl}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.role = init.role;
    this.baseUrl = init.baseUrl;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.outputStarted = init.outputStarted ?? false;
    this.attempts = init.attempts ?? 1;
  }

  /** Worth another attempt, provided no output was handed on yet. */
  get retryable(): boolean {
    if (this.status !== undefined) return isRetryableStatus(this.status);
    return this.code === 'engine_unavailable' || this.code === 'engine_disconnected';
  }
}

export function isRemoteEngineError(err: unknown): err is RemoteEngineError {
  return err instanceof RemoteEngineError;
}

/** The error thrown by classify()/transcribe() when their signal fires. */
export function abortError(): Error {
  return new DOMException('The operation was aborted', 'AbortError');
}

/** Maps an HTTP status to the code used once retries are exhausted (or not allowed). */
export function codeForStatus(status: number): RemoteErrorCode {
  if (status === 429) return 'engine_rate_limited';
  if (status === 408) return 'engine_timeout';
  if (status === 502 || status === 503 || status === 504) return 'engine_unavailable';
  if (status >= 500) return 'engine_error';
  return 'engine_rejected';
}

/** Statuses retried before any output: rate limits, timeouts at a proxy, server faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/** Pulls a human message out of the error bodies engines send (OpenAI, vLLM old/new, FastAPI, text). */
export function engineErrorMessage(body: string): string {
  const text = body.trim();
  if (text === '') return 'empty body';
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const inner = parsed.error;
    if (inner && typeof inner === 'object' && typeof (inner as { message?: unknown }).message === 'string') {
      return (inner as { message: string }).message;
    }
    if (typeof inner === 'string') return inner;
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

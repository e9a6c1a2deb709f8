// A 2xx response in progress, with the read-side deadlines: the first-token
// timeout runs from the moment the request was sent until the caller marks the
// first token; after that the idle timeout runs between chunks. Abort and
// timeouts destroy the socket at once, so the engine sees the close and stops
// decoding; a destroyed keep-alive socket is never reused.

import type { ClientRequest, IncomingMessage } from 'node:http';
import { abortError, RemoteEngineError, type RemoteRole } from './errors.js';

export interface ResponseContext {
  req: ClientRequest;
  res: IncomingMessage;
  role: RemoteRole;
  baseUrl: string;
  signal: AbortSignal | undefined;
  /** performance.now() when the request was written. */
  sentAt: number;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  release: () => void;
}

export class EngineResponse {
  readonly res: IncomingMessage;
  readonly sentAt: number;
  readonly #ctx: ResponseContext;
  #timer: NodeJS.Timeout;
  #firstSeen = false;
  #failure: RemoteEngineError | undefined;
  #closed = false;

  constructor(ctx: ResponseContext) {
    this.#ctx = ctx;
    this.res = ctx.res;
    this.sentAt = ctx.sentAt;
    const remaining = ctx.firstTokenTimeoutMs - (performance.now() - ctx.sentAt);
    this.#timer = setTimeout(this.#onTimeout, Math.max(1, remaining));
    ctx.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get contentType(): string {
    return String(this.res.headers['content-type'] ?? '').toLowerCase();
  }

  /** Switches from the first-token deadline to the idle deadline. */
  markFirstToken(): void {
    if (this.#firstSeen) return;
    this.#firstSeen = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onTimeout, this.#ctx.idleTimeoutMs);
  }

  /**
   * The engine said it is done (`data: [DONE]`): the caller keeps reading to
   * the end of the body, so the keep-alive socket goes back to the pool, but
   * waits at most `graceMs` for it; then the socket is dropped, which is no error.
   */
  expectEnd(graceMs = 1000): void {
    this.#firstSeen = false; // touch() must not extend the grace
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#destroy.bind(this), graceMs);
  }

  /** Call on every chunk read: restarts the idle deadline once the first token was seen. */
  touch(): void {
    if (this.#firstSeen) this.#timer.refresh();
  }

  /** Ends the response with a failure found while parsing (malformed chunk). */
  fail(err: RemoteEngineError): never {
    this.#failure ??= err;
    this.#destroy();
    throw this.#failure;
  }

  /** The error to surface for something thrown while reading the body. */
  readError(err?: unknown): Error {
    if (this.#failure) return this.#failure;
    if (this.#ctx.signal?.aborted) return abortError();
    const detail = (err as NodeJS.ErrnoException | undefined)?.code ?? (err as Error | undefined)?.message ?? 'ended early';
    return new RemoteEngineError({
      code: 'engine_disconnected',
      role: this.#ctx.role,
      baseUrl: this.#ctx.baseUrl,
      message: `connection lost mid-response (${detail})`,
      cause: err,
    });
  }

  /** Reads the whole body as text (JSON answers, transcripts), under the same deadlines. */
  async text(limitBytes = 16 * 1024 * 1024): Promise<string> {
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.res as AsyncIterable<Buffer>) {
        this.markFirstToken();
        this.touch();
        size += chunk.length;
        if (size > limitBytes) {
          this.fail(this.protocolError(`response body larger than ${limitBytes} bytes`));
        }
        parts.push(chunk);
      }
    } catch (err) {
      throw this.readError(err);
    }
    if (this.#failure || this.#ctx.signal?.aborted) throw this.readError();
    if (!this.res.complete) throw this.readError();
    return Buffer.concat(parts).toString('utf8');
  }

  protocolError(message: string, cause?: unknown): RemoteEngineError {
    return new RemoteEngineError({ code: 'engine_protocol_error', role: this.#ctx.role, baseUrl: this.#ctx.baseUrl, message, cause });
  }

  /** Releases the concurrency slot; destroys the socket unless the body was read to the end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ctx.signal?.removeEventListener('abort', this.#onAbort);
    if (!this.res.complete) this.#destroy();
    this.#ctx.release();
  }

  readonly #onTimeout = (): void => {
    const ctx = this.#ctx;
    const message = this.#firstSeen
      ? `no data for ${ctx.idleTimeoutMs} ms (idleTimeoutMs)`
      : `no first token within ${ctx.firstTokenTimeoutMs} ms (firstTokenTimeoutMs)`;
    this.#failure ??= new RemoteEngineError({ code: 'engine_timeout', role: ctx.role, baseUrl: ctx.baseUrl, message });
    this.#destroy();
  };

  readonly #onAbort = (): void => {
    this.#destroy();
  };

  #destroy(): void {
    this.#ctx.req.destroy();
    this.res.destroy();
  }
}

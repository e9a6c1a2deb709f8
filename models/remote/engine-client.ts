// One OpenAI-compatible endpoint: keep-alive connections, the API key, the
// concurrency limit, connect/first-token timeouts and bounded retries before a
// response is accepted. Everything after a 2xx belongs to EngineResponse.
//
// Why node:http and not the official `openai` package (v6, installed): the SDK
// covers only connect-to-headers with its `timeout` (no first-token or idle
// deadline for streams), sleeps between retries without watching the abort
// signal and honours any Retry-After however long, reads SSE through a
// ReadableStream plus several async-generator layers per event, and reads
// OPENAI_* environment variables on its own. Here abort is one synchronous
// socket destroy, the retry policy is ours (never once output began), and a
// token costs one socket read, one line split and one JSON.parse. The
// benchmark (scripts/bench/remote-engine.ts) measures both.

import http from 'node:http';
import https from 'node:https';
import type { RemoteEndpoint } from '../config.js';
import { EngineResponse } from './engine-response.js';
import {
  abortError,
  codeForStatus,
  engineErrorMessage,
  isRemoteEngineError,
  RemoteEngineError,
  type RemoteRole,
} from './errors.js';
import { Semaphore } from './semaphore.js';

/** The subset of a pino logger this layer uses. */
export interface RemoteLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the request fails at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 200, maxDelayMs: 2000, maxRetryAfterMs: 5000 };

export interface EngineClientOptions {
  endpoint: RemoteEndpoint;
  /** Roles served by this endpoint, for logs and readiness. */
  roles: RemoteRole[];
  log: RemoteLog;
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
  /** Test seams: backoff sleep and jitter source. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface RequestSpec {
  role: RemoteRole;
  method: 'GET' | 'POST';
  /** Appended to baseUrl, e.g. `/chat/completions`. */
  path: string;
  body?: string | Buffer;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Overrides the endpoint's first-token timeout (probes). */
  firstTokenTimeoutMs?: number;
  /** Bypasses the concurrency limit: readiness probes must not queue behind answers. */
  unlimited?: boolean;
  /** false: a single attempt. */
  retry?: boolean;
}

/** Shared by every attempt of one logical request, including stream-level retries. */
export interface RetryBudget {
  retriesUsed: number;
}

export type EngineHealth =
  | { state: 'unknown' }
  | { state: 'up'; at: number }
  | { state: 'down'; at: number; reason: string };

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After as ms: `retry-after-ms` (OpenAI), then seconds or an HTTP date. */
export function parseRetryAfter(headers: http.IncomingHttpHeaders, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(String(headers['retry-after-ms'] ?? ''));
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers['retry-after'];
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(String(raw));
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export class EngineClient {
  readonly endpoint: RemoteEndpoint;
  readonly baseUrl: string;
  readonly roles: RemoteRole[];
  readonly semaphore: Semaphore;
  health: EngineHealth = { state: 'unknown' };
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;
  readonly #authorization: string | undefined;
  readonly #basicAuth: string | undefined;
  readonly #retry: RetryPolicy;
  readonly #log: RemoteLog;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;

  constructor(options: EngineClientOptions) {
    const { endpoint } = options;
    this.endpoint = endpoint;
    this.#url = new URL(endpoint.baseUrl.replace(/\/+$/, ''));
    // Credentials in the URL go into the request, never into logs or error messages.
    if (this.#url.username || this.#url.password) {
      this.#basicAuth = `${decodeURIComponent(this.#url.username)}:${decodeURIComponent(this.#url.password)}`;
      this.#url.username = '';
      this.#url.password = '';
    }
    this.baseUrl = this.#url.href.replace(/\/+$/, '');
    this.roles = options.roles;
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') {
      throw new Error(`engine baseUrl must be http(s): ${this.baseUrl}`);
    }
    this.#transport = this.#url.protocol === 'https:' ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: endpoint.maxConcurrent + 4, scheduling: 'lifo' as const };
    this.#agent = this.#url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.semaphore = new Semaphore(endpoint.maxConcurrent);
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#log = options.log;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    const env = options.env ?? process.env;
    if (endpoint.apiKeyEnv) {
      const key = env[endpoint.apiKeyEnv];
      if (key) this.#authorization = `Bearer ${key}`;
      else this.#log.warn({ roles: this.roles, baseUrl: this.baseUrl, apiKeyEnv: endpoint.apiKeyEnv }, 'engine API key variable is not set; sending no key');
    }
  }

  get model(): string {
    return this.endpoint.model;
  }

  /** Sends a request and resolves once a 2xx arrived; retries connect errors, 429 and 5xx before that. */
  async open(spec: RequestSpec, budget: RetryBudget = { retriesUsed: 0 }): Promise<EngineResponse> {
    for (;;) {
      let release: () => void = noop;
      if (!spec.unlimited) {
        try {
          release = await this.semaphore.acquire(spec.signal);
        } catch {
          throw abortError();
        }
      }
      try {
        const response = await this.#attempt(spec, release);
        this.#markUp();
        return response;
      } catch (err) {
        release();
        if (!isRemoteEngineError(err)) throw err;
        err.attempts = budget.retriesUsed + 1;
        if (err.code === 'engine_unavailable') this.#markDown(err.message);
        else if (err.status !== undefined) this.#markUp();
        if (spec.retry === false || !(await this.backoff(err, budget, spec.signal))) throw err;
      }
    }
  }

  /** Waits before the next attempt; false when the error is final (not retryable, budget spent, Retry-After too long). */
  async backoff(err: RemoteEngineError, budget: RetryBudget, signal?: AbortSignal): Promise<boolean> {
    if (!err.retryable || err.outputStarted || budget.retriesUsed >= this.endpoint.maxRetries) return false;
    let delayMs: number;
    if (err.retryAfterMs !== undefined) {
      if (err.retryAfterMs > this.#retry.maxRetryAfterMs) return false;
      delayMs = err.retryAfterMs;
    } else {
      const cap = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** budget.retriesUsed);
      delayMs = cap / 2 + (this.#random() * cap) / 2;
    }
    budget.retriesUsed++;
    this.#log.debug(
      { role: err.role, baseUrl: this.baseUrl, code: err.code, status: err.status, delayMs: Math.round(delayMs), retry: budget.retriesUsed },
      'retrying engine request',
    );
    await this.#sleep(delayMs, signal);
    return true;
  }

  /**
   * A whole (non-streamed) answer, parsed by `parse`. Nothing was handed on
   * before the body is complete, so a connection lost while reading it is
   * retried like a connect error.
   */
  async request<T>(spec: RequestSpec, parse: (body: string, response: EngineResponse) => T): Promise<T> {
    const budget: RetryBudget = { retriesUsed: 0 };
    for (;;) {
      const response = await this.open(spec, budget);
      try {
        return parse(await response.text(), response);
      } catch (err) {
        if (!isRemoteEngineError(err) || spec.signal?.aborted || spec.retry === false) throw err;
        err.attempts = budget.retriesUsed + 1;
        if (!(await this.backoff(err, budget, spec.signal))) throw err;
      } finally {
        response.close();
      }
    }
  }

  /** Readiness: `GET /models`, and the configured model must be among those served. */
  async probe(role: RemoteRole, timeoutMs = 5000): Promise<{ ok: boolean; reason?: string; latencyMs: number }> {
    const started = performance.now();
    const done = (ok: boolean, reason?: string) => {
      if (ok) this.#markUp();
      else this.#markDown(reason ?? 'probe failed');
      return { ok, reason, latencyMs: performance.now() - started };
    };
    try {
      const spec: RequestSpec = { role, method: 'GET', path: '/models', unlimited: true, retry: false, firstTokenTimeoutMs: timeoutMs };
      const ids = await this.request(spec, (body, response) => {
        let listing: { data?: { id?: unknown }[] };
        try {
          listing = JSON.parse(body) as typeof listing;
        } catch (err) {
          throw response.protocolError('GET /models: body is not JSON', err);
        }
        if (!Array.isArray(listing?.data)) throw response.protocolError('GET /models: no `data` list');
        return listing.data.map((m) => String(m?.id));
      });
      const model = this.endpoint.model;
      if (ids.length > 0 && !ids.includes(model) && !ids.includes(`${model}:latest`)) {
        return done(false, `model "${model}" is not served (serves: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`);
      }
      return done(true);
    } catch (err) {
      return done(false, (err as Error).message);
    }
  }

  close(): void {
    this.#agent.destroy();
  }

  #markUp(): void {
    if (this.health.state !== 'up') {
      if (this.health.state === 'down') this.#log.info({ roles: this.roles, baseUrl: this.baseUrl }, 'engine reachable again');
      this.health = { state: 'up', at: Date.now() };
    }
  }

  #markDown(reason: string): void {
    if (this.health.state !== 'down') this.#log.warn({ roles: this.roles, baseUrl: this.baseUrl, reason }, 'engine unavailable');
    this.health = { state: 'down', at: Date.now(), reason };
  }

  #attempt(spec: RequestSpec, release: () => void): Promise<EngineResponse> {
    const endpoint = this.endpoint;
    const firstTokenTimeoutMs = spec.firstTokenTimeoutMs ?? endpoint.firstTokenTimeoutMs;
    const error = (code: RemoteEngineError['code'], message: string, extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) =>
      new RemoteEngineError({ code, role: spec.role, baseUrl: this.baseUrl, message, ...extra });

    return new Promise((resolve, reject) => {
      if (spec.signal?.aborted) return reject(abortError());
      const headers: Record<string, string | number> = { accept: spec.accept ?? 'application/json' };
      if (this.#authorization) headers.authorization = this.#authorization;
      if (spec.body !== undefined) {
        headers['content-type'] = spec.contentType ?? 'application/json';
        headers['content-length'] = Buffer.byteLength(spec.body);
      }
      const req = this.#transport.request({
        protocol: this.#url.protocol,
        hostname: this.#url.hostname,
        port: this.#url.port,
        path: this.#url.pathname.replace(/\/+$/, '') + spec.path,
        method: spec.method,
        headers,
        auth: this.#basicAuth,
        agent: this.#agent,
      });
      const sentAt = performance.now();
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        settled = true;
        clearTimeout(headerTimer);
        clearTimeout(connectTimer);
        spec.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error) => {
        if (settled) return;
        cleanup();
        req.destroy();
        reject(err);
      };
      const onAbort = () => fail(abortError());
      const headerTimer = setTimeout(
        () => fail(error('engine_timeout', `no response within ${firstTokenTimeoutMs} ms (firstTokenTimeoutMs)`)),
        firstTokenTimeoutMs,
      );
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      // Kept for the socket's life: a late socket error must not become an unhandled 'error'.
      req.on('error', (err: NodeJS.ErrnoException) => fail(error('engine_unavailable', `cannot reach engine (${err.code ?? err.message})`, { cause: err })));
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(
          () => fail(error('engine_unavailable', `no connection within ${endpoint.connectTimeoutMs} ms (connectTimeoutMs)`)),
          endpoint.connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('response', (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          cleanup();
          resolve(
            new EngineResponse({
              req,
              res,
              role: spec.role,
              baseUrl: this.baseUrl,
              signal: spec.signal,
              sentAt,
              firstTokenTimeoutMs,
              idleTimeoutMs: endpoint.idleTimeoutMs,
              release,
            }),
          );
          return;
        }
        // An error answer: read its (small) body for the message, under the same deadline.
        const retryAfterMs = parseRetryAfter(res.headers);
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 64 * 1024) parts.push(chunk);
        });
        res.on('error', () => {});
        res.on('close', () => {
          const message = `HTTP ${status}: ${engineErrorMessage(Buffer.concat(parts).toString('utf8'))}`;
          fail(error(codeForStatus(status), message, { status, retryAfterMs }));
        });
      });
      req.end(spec.body);
    });
  }
}

function noop(): void {}

// An in-test OpenAI-compatible engine (node:http) that speaks the wire format
// the way vLLM and OpenAI do: SSE framing (`data: {…}\n\n`, `data: [DONE]`),
// the role chunk, the usage chunk (`choices: []`), logprobs objects
// (`choices[0].logprobs.content[0].top_logprobs[{token, logprob, bytes}]`), error
// bodies in OpenAI / vLLM / legacy-vLLM shape, 429 with Retry-After, 5xx,
// abrupt disconnects, slow drip, malformed chunks, /v1/models,
// /v1/audio/transcriptions (multipart) and /v1/audio/speech (chunked PCM).
//
// Each route has a queue of scripts; a request takes the next one, or the
// route's default when the queue is empty. Every request is recorded, with the
// times its tokens were written and a promise for when its connection closed
// (observing an aborting client from the server side).
//
// Run as a process (`node --import tsx test/support/fake-engine.ts`) it serves
// over IPC for benchmarks that must not share a CPU with the engine.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { RemoteEndpoint } from '../../models/config.js';

export type Route = 'chat' | 'models' | 'transcriptions' | 'speech';
export type ErrorShape = 'openai' | 'vllm' | 'vllm-legacy' | 'text';
export type Flavour = 'vllm' | 'openai';

export interface LogprobEntry {
  token: string;
  logprob: number;
}

/** How a stream ends: normally, by hanging, by a socket destroy, by a clean close without [DONE], or by a fault chunk. */
export type StreamEnding = 'done' | 'hang' | 'destroy' | 'end' | 'error' | 'malformed' | 'missing-fields';

export type CommonScript =
  | { kind: 'status'; status: number; message?: string; shape?: ErrorShape; retryAfter?: string; retryAfterMs?: number }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Closes the socket without an answer. */
  | { kind: 'destroy' }
  | { kind: 'raw'; status?: number; contentType: string; body: string };

export type ChatScript =
  | CommonScript
  | {
      kind: 'stream';
      tokens: string[];
      /** Delay before the response headers (a slow engine that has not accepted yet). */
      headersDelayMs?: number;
      /** Prefill: delay from the headers to the first content token. */
      firstTokenDelayMs?: number;
      tokenDelayMs?: number;
      finishReason?: 'stop' | 'length';
      ending?: StreamEnding;
      /** Apply `ending` after this many tokens instead of after all of them. */
      endAfter?: number;
      promptTokens?: number;
    }
  | { kind: 'reply'; content: string | null; logprobs?: LogprobEntry[] | null; delayMs?: number; finishReason?: 'stop' | 'length' };

export type ModelsScript = CommonScript | { kind: 'models'; ids: string[] };
export type TranscriptionScript = CommonScript | { kind: 'transcription'; text: string; delayMs?: number };
export type SpeechScript =
  | CommonScript
  | { kind: 'speech'; pcm?: Int16Array; chunkBytes?: number; chunkDelayMs?: number; wav?: boolean; sampleRate?: number; ending?: 'done' | 'destroy' | 'hang'; endAfterChunks?: number };

export interface ScriptFor {
  chat: ChatScript;
  models: ModelsScript;
  transcriptions: TranscriptionScript;
  speech: SpeechScript;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, { filename: string; contentType: string; data: Buffer }>;
}

export interface RecordedRequest {
  index: number;
  route: Route | 'unknown';
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Parsed JSON body, when it was JSON. */
  json: any;
  form: MultipartForm | undefined;
  /** process.hrtime in ms (one clock for every process on the machine). */
  receivedAt: number;
  /** When each content token (or audio chunk) was written, same clock. */
  tokenTimes: number[];
  /** Resolves when the connection closed; `byClient` when the client left before the engine finished. */
  closed: Promise<{ byClient: boolean; tokensWritten: number }>;
}

export interface FakeEngineOptions {
  flavour?: Flavour;
  modelIds?: string[];
}

export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class FakeEngine {
  readonly flavour: Flavour;
  readonly requests: RecordedRequest[] = [];
  /** Used when a route's queue is empty. */
  readonly defaults: { [R in Route]: (req: RecordedRequest) => ScriptFor[R] };
  #queues: { [R in Route]: ScriptFor[R][] } = { chat: [], models: [], transcriptions: [], speech: [] };
  #server: http.Server;
  #sockets = new Set<Socket>();
  #waiters: { count: number; resolve: () => void }[] = [];
  #port = 0;

  constructor(options: FakeEngineOptions = {}) {
    this.flavour = options.flavour ?? 'vllm';
    const ids = options.modelIds ?? ['fake-model'];
    this.defaults = {
      chat: (req) =>
        req.json?.stream ? { kind: 'stream', tokens: ['Hello', ',', ' world', '.'] } : { kind: 'reply', content: 'Hello, world.' },
      models: () => ({ kind: 'models', ids }),
      transcriptions: () => ({ kind: 'transcription', text: 'hello there' }),
      speech: () => ({ kind: 'speech' }),
    };
    this.#server = http.createServer((req, res) => this.#onRequest(req, res));
    this.#server.keepAliveTimeout = 30_000;
    this.#server.on('connection', (socket) => {
      this.connectionsAccepted++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Base URL including `/v1`, as config `baseUrl` wants it. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  get port(): number {
    return this.#port;
  }

  /** Open TCP connections right now. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** TCP connections accepted since start (keep-alive reuse keeps this low). */
  connectionsAccepted = 0;

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** Queues scripts for the next requests on a route, in order. */
  script<R extends Route>(route: R, ...scripts: ScriptFor[R][]): this {
    (this.#queues[route] as ScriptFor[R][]).push(...scripts);
    return this;
  }

  requestsFor(route: Route): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  /** Resolves once `count` requests (any route) have arrived. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const path = (req.url ?? '').split('?')[0]!;
      const route: Route | 'unknown' = path.endsWith('/chat/completions')
        ? 'chat'
        : path.endsWith('/models')
          ? 'models'
          : path.endsWith('/audio/transcriptions')
            ? 'transcriptions'
            : path.endsWith('/audio/speech')
              ? 'speech'
              : 'unknown';
      const type = String(req.headers['content-type'] ?? '');
      let json: any;
      if (type.includes('json')) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = undefined;
        }
      }
      const form = type.startsWith('multipart/form-data') ? parseMultipart(body, type) : undefined;
      let settle!: (v: { byClient: boolean; tokensWritten: number }) => void;
      const record: RecordedRequest = {
        index: this.requests.length,
        route,
        method: req.method ?? '',
        path,
        headers: req.headers,
        body,
        json,
        form,
        receivedAt: monotonicMs(),
        tokenTimes: [],
        closed: new Promise((resolve) => (settle = resolve)),
      };
      this.requests.push(record);
      const life = { finished: false, destroyedByUs: false, timer: undefined as NodeJS.Timeout | undefined };
      res.on('close', () => {
        clearTimeout(life.timer);
        settle({ byClient: !life.finished && !life.destroyedByUs, tokensWritten: record.tokenTimes.length });
      });
      res.on('finish', () => (life.finished = true));
      this.#waiters = this.#waiters.filter((w) => (this.requests.length >= w.count ? (w.resolve(), false) : true));
      if (route === 'unknown') return sendError(res, 404, `no route ${path}`, 'openai');
      const queue = this.#queues[route] as unknown[];
      const script = (queue.length > 0 ? queue.shift() : this.defaults[route](record)) as ScriptFor[Route];
      new Responder(this, record, res, life).run(route, script);
    });
  }
}

interface Life {
  finished: boolean;
  destroyedByUs: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Plays one script on one response. */
class Responder {
  constructor(
    readonly engine: FakeEngine,
    readonly record: RecordedRequest,
    readonly res: http.ServerResponse,
    readonly life: Life,
  ) {}

  run(route: Route, script: ScriptFor[Route]): void {
    switch (script.kind) {
      case 'status':
        return sendError(this.res, script.status, script.message ?? http.STATUS_CODES[script.status] ?? 'error', script.shape ?? (this.engine.flavour === 'openai' ? 'openai' : 'vllm'), script);
      case 'hang':
        return;
      case 'destroy':
        return this.#destroy();
      case 'raw':
        this.res.writeHead(script.status ?? 200, { 'content-type': script.contentType });
        return void this.res.end(script.body);
      case 'models':
        return sendJson(this.res, 200, { object: 'list', data: script.ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: this.engine.flavour === 'openai' ? 'system' : 'vllm', root: id, parent: null, max_model_len: 4096 })) });
      case 'transcription':
        return this.#later(script.delayMs ?? 0, () => sendJson(this.res, 200, { text: script.text }));
      case 'reply':
        return this.#later(script.delayMs ?? 0, () => this.#reply(script));
      case 'stream':
        return this.#stream(script);
      case 'speech':
        return this.#speech(script);
    }
    void route;
  }

  #later(ms: number, fn: () => void): void {
    if (ms <= 0) fn();
    else this.life.timer = setTimeout(fn, ms);
  }

  #destroy(): void {
    this.life.destroyedByUs = true;
    this.res.socket?.destroy();
  }

  #reply(script: Extract<ChatScript, { kind: 'reply' }>): void {
    const req = this.record.json ?? {};
    let logprobs: unknown = null;
    if (req.logprobs && script.logprobs) {
      const top = [...script.logprobs].sort((a, b) => b.logprob - a.logprob);
      const chosen = top[0]!;
      const k = typeof req.top_logprobs === 'number' ? req.top_logprobs : 0;
      logprobs = { content: [{ ...logprobOf(chosen), top_logprobs: top.slice(0, k).map(logprobOf) }] };
    }
    sendJson(this.res, 200, {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: req.model ?? 'fake-model',
      choices: [{ index: 0, message: { role: 'assistant', content: script.content, tool_calls: [] }, logprobs, finish_reason: script.finishReason ?? 'stop', stop_reason: null }],
      usage: { prompt_tokens: 12, total_tokens: 13, completion_tokens: 1 },
    });
  }

  #stream(script: Extract<ChatScript, { kind: 'stream' }>): void {
    const req = this.record.json ?? {};
    const openai = this.engine.flavour === 'openai';
    const includeUsage = req.stream_options?.include_usage === true;
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model: req.model ?? 'fake-model' };
    const usageNull = openai && includeUsage ? { usage: null } : {};
    const send = (payload: unknown) => this.res.write(`data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
    const choice = (delta: object, finish: string | null) =>
      ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...usageNull });
    const ending = script.ending ?? 'done';
    const stopAt = Math.min(script.endAfter ?? script.tokens.length, script.tokens.length);
    const tokenDelay = script.tokenDelayMs ?? 0;

    const fault = (): boolean => {
      switch (ending) {
        case 'hang':
          return true;
        case 'destroy':
          this.#destroy();
          return true;
        case 'end':
          this.res.end();
          return true;
        case 'error':
          send(errorBody(500, 'EngineCore encountered an issue', openai ? 'openai' : 'vllm'));
          send('[DONE]');
          this.res.end();
          return true;
        case 'malformed':
          send('{"id":"chatcmpl-fake","choices":[{"index":0,"delta":{"content":"x"');
          return true;
        case 'missing-fields':
          send({ ...base });
          return true;
        default:
          return false;
      }
    };
    const finish = (finishSent: boolean) => {
      if (!finishSent) send(choice({}, script.finishReason ?? 'stop'));
      if (includeUsage) {
        const completion = script.tokens.length;
        const prompt = script.promptTokens ?? 17;
        send({ ...base, choices: [], usage: { prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion } });
      }
      send('[DONE]');
      this.res.end();
    };

    const start = () => {
      if (this.res.destroyed) return;
      this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      this.res.flushHeaders();
      send(choice({ role: 'assistant', content: '' }, null));
      const t0 = monotonicMs() + (script.firstTokenDelayMs ?? 0);
      let i = 0;
      const step = () => {
        if (this.res.destroyed) return;
        if (i === stopAt && ending !== 'done') {
          fault();
          return;
        }
        if (i === script.tokens.length) {
          finish(false);
          return;
        }
        // vLLM puts finish_reason on the chunk carrying the last token; OpenAI sends a separate empty-delta chunk.
        const last = i === script.tokens.length - 1 && !openai && ending === 'done';
        // Stamped before the write: on loopback the bytes reach the reader during the write itself.
        this.record.tokenTimes.push(monotonicMs());
        send(choice({ content: script.tokens[i] }, last ? (script.finishReason ?? 'stop') : null));
        i++;
        if (last) return finish(true);
        const wait = t0 + i * tokenDelay - monotonicMs();
        this.life.timer = setTimeout(step, Math.max(0, wait));
      };
      const wait = t0 - monotonicMs();
      this.life.timer = setTimeout(step, Math.max(0, wait));
    };
    this.#later(script.headersDelayMs ?? 0, start);
  }

  #speech(script: Extract<SpeechScript, { kind: 'speech' }>): void {
    const rate = script.sampleRate ?? 24000;
    const pcm = script.pcm ?? sine(rate / 2, rate);
    let bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    if (script.wav) bytes = Buffer.concat([wavHeader(rate, bytes.length), bytes]);
    this.res.writeHead(200, { 'content-type': script.wav ? 'audio/wav' : 'audio/pcm', 'transfer-encoding': 'chunked' });
    this.res.flushHeaders();
    const size = script.chunkBytes ?? 4800;
    const ending = script.ending ?? 'done';
    const stopAfter = script.endAfterChunks ?? Infinity;
    let at = 0;
    let sent = 0;
    const step = () => {
      if (this.res.destroyed) return;
      if (sent === stopAfter && ending !== 'done') {
        if (ending === 'destroy') this.#destroy();
        return;
      }
      if (at >= bytes.length) return void this.res.end();
      this.res.write(bytes.subarray(at, at + size));
      this.record.tokenTimes.push(monotonicMs());
      at += size;
      sent++;
      this.life.timer = setTimeout(step, script.chunkDelayMs ?? 0);
    };
    step();
  }
}

function logprobOf(entry: LogprobEntry) {
  return { token: entry.token, logprob: entry.logprob, bytes: [...Buffer.from(entry.token, 'utf8')] };
}

function errorBody(status: number, message: string, shape: ErrorShape): string {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'InternalServerError' : 'BadRequestError';
  switch (shape) {
    case 'openai':
      return JSON.stringify({ error: { message, type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } });
    case 'vllm':
      return JSON.stringify({ error: { message, type, param: null, code: status } });
    case 'vllm-legacy':
      return JSON.stringify({ object: 'error', message, type, param: null, code: status });
    case 'text':
      return message;
  }
}

function sendError(res: http.ServerResponse, status: number, message: string, shape: ErrorShape, extra: { retryAfter?: string; retryAfterMs?: number } = {}): void {
  const headers: http.OutgoingHttpHeaders = { 'content-type': shape === 'text' ? 'text/plain' : 'application/json' };
  if (extra.retryAfter !== undefined) headers['retry-after'] = extra.retryAfter;
  if (extra.retryAfterMs !== undefined) headers['retry-after-ms'] = String(extra.retryAfterMs);
  res.writeHead(status, headers);
  res.end(errorBody(status, message, shape));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A 440 Hz tone as PCM16, so decoded audio can be checked sample by sample. */
export function sine(samples: number, rate: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12000);
  return out;
}

function wavHeader(rate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export function parseMultipart(body: Buffer, contentType: string): MultipartForm {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const form: MultipartForm = { fields: {}, files: {} };
  if (!boundary) return form;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const data = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename !== undefined) {
      form.files[name] = { filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '', data: Buffer.from(data) };
    } else {
      form.fields[name] = data.toString('utf8');
    }
    at = next;
  }
  return form;
}

export async function startFakeEngine(options?: FakeEngineOptions): Promise<FakeEngine> {
  return new FakeEngine(options).listen();
}

/** A `RemoteEndpoint` config pointing at a fake engine, with test-friendly defaults. */
export function endpointFor(engine: FakeEngine | string, overrides: Partial<RemoteEndpoint> = {}): RemoteEndpoint {
  return {
    baseUrl: typeof engine === 'string' ? engine : engine.url,
    model: 'fake-model',
    connectTimeoutMs: 2000,
    firstTokenTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    maxConcurrent: 8,
    maxRetries: 2,
    ...overrides,
  };
}

export interface CapturedLog {
  entries: { level: string; obj: object; msg?: string }[];
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** Everything logged, serialized (to check that secrets never appear). */
  text(): string;
}

export function captureLog(): CapturedLog {
  const entries: CapturedLog['entries'] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => entries.map((e) => `${e.level} ${JSON.stringify(e.obj)} ${e.msg ?? ''}`).join('\n'),
  };
}

// ---- standalone process mode (benchmarks) ----

export type EngineIpcRequest =
  | { type: 'default-chat'; script: ChatScript }
  | { type: 'records'; id: number }
  | { type: 'reset' }
  | { type: 'close' };

async function serveOverIpc(): Promise<void> {
  const engine = await startFakeEngine();
  let chatDefault: ChatScript | null = null;
  const fallback = engine.defaults.chat;
  engine.defaults.chat = (req) => chatDefault ?? fallback(req);
  process.on('message', (msg: EngineIpcRequest) => {
    if (msg.type === 'default-chat') chatDefault = msg.script;
    else if (msg.type === 'reset') engine.requests.length = 0;
    else if (msg.type === 'records') {
      const records = engine.requests.map((r) => ({
        route: r.route,
        tag: lastUserText(r.json),
        receivedAt: r.receivedAt,
        tokenTimes: r.tokenTimes,
      }));
      process.send?.({ type: 'records', id: msg.id, records });
    } else if (msg.type === 'close') void engine.close().then(() => process.exit(0));
  });
  process.send?.({ type: 'ready', url: engine.url });
}

function lastUserText(json: any): string {
  const messages = Array.isArray(json?.messages) ? json.messages : [];
  const last = messages[messages.length - 1];
  return typeof last?.content === 'string' ? last.content : '';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.send) {
  void serveOverIpc();
}

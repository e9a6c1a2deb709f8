// The model layer's own cost on a remote engine: added latency to the first
// token and per token, at 1, 10 and 100 concurrent streams, against the fake
// engine (its own process, so it does not share this process's event loop)
// streaming on a fixed schedule. Times come from process.hrtime, which is one
// monotonic clock for every process on the machine, so "added" is measured
// directly: arrival here minus the moment the engine wrote the token.
//
// Three clients read the same streams in the same run:
//   raw   node:http + counting SSE events, no JSON: the transport floor
//   duet  the remote ModelInstance (models/remote)
//   sdk   the official `openai` package, for the client choice
//
// Run: node --import tsx scripts/bench/remote-engine.ts [--json]

import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { newChunkState, readChatChunk } from '../../models/remote/chat-chunks.js';
import { createRemoteModelSet } from '../../models/remote/index.js';
import { SseParser } from '../../models/remote/sse.js';
import type { ChatScript, EngineIpcRequest } from '../../test/support/fake-engine.js';

export type BenchClient = 'raw' | 'duet' | 'sdk';

export interface RemoteEngineBenchOptions {
  concurrency?: number[];
  tokens?: number;
  tokenDelayMs?: number;
  firstTokenDelayMs?: number;
  /** Rounds per level; samples are pooled (default 3). */
  rounds?: number;
  clients?: BenchClient[];
}

export interface Percentiles {
  p50: number;
  p99: number;
}

export interface RemoteEngineLevel {
  client: BenchClient;
  concurrency: number;
  /** Time to first token beyond the engine's own prefill delay (request path + first delivery). */
  firstTokenAddedMs: Percentiles;
  /** Arrival of each later token minus the engine's write of it. */
  perTokenAddedMs: Percentiles;
  /** From the call to the engine having the whole request. */
  requestPathMs: Percentiles;
  /** This process's CPU time per streamed token. */
  cpuUsPerToken: number;
  tokens: number;
}

export interface RemoteEngineBenchResult {
  settings: Required<Omit<RemoteEngineBenchOptions, 'clients'>> & { clients: BenchClient[] };
  levels: RemoteEngineLevel[];
  /** SSE framing + chunk parsing alone, in process, no sockets: the model layer's own CPU per token. */
  parseUsPerToken: number;
}

/** Times SseParser + readChatChunk over vLLM-shaped chunks, one event per feed as sockets deliver them. */
export function measureParseCost(tokens = 200_000): number {
  const chunks = Array.from({ length: 64 }, (_, i) =>
    `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"content":" tok${i}"},"logprobs":null,"finish_reason":null}]}\n\n`,
  );
  const parser = new SseParser();
  const state = newChunkState();
  const fail = (): never => {
    throw new Error('unexpected');
  };
  let chars = 0;
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const count = parser.feed(chunks[i & 63]!);
      for (let k = 0; k < count; k++) {
        readChatChunk(parser.data[k]!, state, fail);
        chars += state.text?.length ?? 0;
      }
    }
  };
  run(20_000); // warm-up
  const start = process.hrtime.bigint();
  run(tokens);
  const us = Number(process.hrtime.bigint() - start) / 1000;
  if (chars === 0) throw new Error('parsed nothing');
  return us / tokens;
}

interface EngineRecord {
  route: string;
  tag: string;
  receivedAt: number;
  tokenTimes: number[];
}

interface StreamTiming {
  tag: string;
  calledAt: number;
  arrivals: number[];
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

function percentiles(values: number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => (v.length === 0 ? NaN : v[Math.min(v.length - 1, Math.floor(q * (v.length - 1)))]!);
  return { p50: at(0.5), p99: at(0.99) };
}

class EngineProcess {
  #child: ChildProcess;
  #nextId = 0;
  url = '';

  constructor() {
    const entry = fileURLToPath(new URL('../../test/support/fake-engine.ts', import.meta.url));
    this.#child = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#child.once('error', reject);
      this.#child.once('exit', (code) => reject(new Error(`fake engine exited (${code})`)));
      this.#child.on('message', (msg: { type: string; url?: string }) => {
        if (msg.type === 'ready') {
          this.url = msg.url!;
          resolve();
        }
      });
    });
  }

  send(msg: EngineIpcRequest): void {
    this.#child.send(msg);
  }

  records(): Promise<EngineRecord[]> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const onMessage = (msg: { type: string; id?: number; records?: EngineRecord[] }) => {
        if (msg.type === 'records' && msg.id === id) {
          this.#child.off('message', onMessage);
          resolve(msg.records!);
        }
      };
      this.#child.on('message', onMessage);
      this.send({ type: 'records', id });
    });
  }

  close(): void {
    this.#child.removeAllListeners('exit');
    this.send({ type: 'close' });
  }
}

type StreamRunner = (tag: string) => Promise<StreamTiming>;

function rawRunner(baseUrl: string): StreamRunner {
  const url = new URL(`${baseUrl}/chat/completions`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });
  return (tag) =>
    new Promise((resolve, reject) => {
      const timing: StreamTiming = { tag, calledAt: now(), arrivals: [] };
      const body = JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: tag }], max_tokens: 1000 });
      const req = http.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const t = now();
          let at = chunk.indexOf('"content":"');
          while (at >= 0) {
            if (chunk.charCodeAt(at + 11) !== 34) timing.arrivals.push(t); // skip the empty role chunk
            at = chunk.indexOf('"content":"', at + 11);
          }
        });
        res.on('end', () => resolve(timing));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
}

function duetRunner(baseUrl: string, maxConcurrent: number): { run: StreamRunner; close: () => Promise<void> } {
  const set = createRemoteModelSet(
    {
      cacheDir: '.cache/models',
      chat: {
        kind: 'remote',
        generator: { baseUrl, model: 'fake-model', connectTimeoutMs: 5000, firstTokenTimeoutMs: 30000, idleTimeoutMs: 15000, maxConcurrent, maxRetries: 0 },
        vision: false,
        maxNewTokens: 1000,
      },
      asr: null,
      tts: null,
    },
    { debug() {}, info() {}, warn() {}, error() {} },
    { probeOnStart: false, reprobeIntervalMs: 0 },
  );
  const instance = set.instances![0];
  return {
    run: async (tag) => {
      const timing: StreamTiming = { tag, calledAt: now(), arrivals: [] };
      for await (const e of instance.generate({ messages: [{ role: 'user', content: [{ type: 'text', text: tag }] }], signal: new AbortController().signal })) {
        if (e.type === 'delta') timing.arrivals.push(now());
      }
      return timing;
    },
    close: () => set.close(),
  };
}

function sdkRunner(baseUrl: string): StreamRunner {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: 'bench', maxRetries: 0 });
  return async (tag) => {
    const timing: StreamTiming = { tag, calledAt: now(), arrivals: [] };
    const stream = await client.chat.completions.create({
      model: 'fake-model',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 1000,
      messages: [{ role: 'user', content: tag }],
    });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) timing.arrivals.push(now());
    }
    return timing;
  };
}

interface Samples {
  first: number[];
  perToken: number[];
  requestPath: number[];
  cpuUs: number;
  tokens: number;
}

/** One round: `concurrency` streams started evenly over one token interval (independent sessions, not a lock-step burst). */
async function round(engine: EngineProcess, client: BenchClient, run: StreamRunner, concurrency: number, staggerMs: number, into: Samples): Promise<void> {
  engine.send({ type: 'reset' });
  const cpu = process.cpuUsage();
  const timings = await Promise.all(
    Array.from({ length: concurrency }, (_, k) =>
      new Promise<StreamTiming>((resolve, reject) => {
        setTimeout(() => run(`bench ${client} ${concurrency} ${k}`).then(resolve, reject), (k * staggerMs) / concurrency);
      }),
    ),
  );
  const used = process.cpuUsage(cpu);
  const records = new Map((await engine.records()).map((r) => [r.tag, r]));
  for (const t of timings) {
    const r = records.get(t.tag);
    if (!r || r.tokenTimes.length !== t.arrivals.length) throw new Error(`stream ${t.tag}: engine wrote ${r?.tokenTimes.length} tokens, client saw ${t.arrivals.length}`);
    into.requestPath.push(r.receivedAt - t.calledAt);
    into.first.push(t.arrivals[0]! - t.calledAt - (r.tokenTimes[0]! - r.receivedAt));
    for (let i = 1; i < t.arrivals.length; i++) into.perToken.push(t.arrivals[i]! - r.tokenTimes[i]!);
    into.tokens += t.arrivals.length;
  }
  into.cpuUs += used.user + used.system;
}

export async function runRemoteEngineBench(options: RemoteEngineBenchOptions = {}): Promise<RemoteEngineBenchResult> {
  const settings = {
    concurrency: options.concurrency ?? [1, 10, 100],
    tokens: options.tokens ?? 50,
    tokenDelayMs: options.tokenDelayMs ?? 20,
    firstTokenDelayMs: options.firstTokenDelayMs ?? 30,
    rounds: options.rounds ?? 3,
    clients: options.clients ?? (['raw', 'duet', 'sdk'] as BenchClient[]),
  };
  const parseUsPerToken = measureParseCost();
  const engine = new EngineProcess();
  await engine.ready();
  const script: ChatScript = {
    kind: 'stream',
    tokens: Array.from({ length: settings.tokens }, (_, i) => ` tok${i}`),
    firstTokenDelayMs: settings.firstTokenDelayMs,
    tokenDelayMs: settings.tokenDelayMs,
  };
  engine.send({ type: 'default-chat', script });
  const maxC = Math.max(...settings.concurrency);
  const duet = duetRunner(engine.url, maxC);
  const runners: Record<BenchClient, StreamRunner> = { raw: rawRunner(engine.url), duet: duet.run, sdk: sdkRunner(engine.url) };
  const levels: RemoteEngineLevel[] = [];
  try {
    // Warm-up at full width: JIT, and every client's keep-alive pool holds maxC connections.
    const scratch = (): Samples => ({ first: [], perToken: [], requestPath: [], cpuUs: 0, tokens: 0 });
    for (const client of settings.clients) await round(engine, client, runners[client], maxC, 0, scratch());
    for (const concurrency of settings.concurrency) {
      const pooled = new Map(settings.clients.map((c) => [c, scratch()]));
      // Clients alternate within each round so background noise falls on all of them alike.
      for (let r = 0; r < settings.rounds; r++) {
        for (const client of settings.clients) await round(engine, client, runners[client], concurrency, settings.tokenDelayMs, pooled.get(client)!);
      }
      for (const [client, s] of pooled) {
        levels.push({
          client,
          concurrency,
          firstTokenAddedMs: percentiles(s.first),
          perTokenAddedMs: percentiles(s.perToken),
          requestPathMs: percentiles(s.requestPath),
          cpuUsPerToken: s.cpuUs / s.tokens,
          tokens: s.tokens,
        });
      }
    }
  } finally {
    await duet.close();
    engine.close();
  }
  return { settings, levels, parseUsPerToken };
}

function format(result: RemoteEngineBenchResult): string {
  const s = result.settings;
  const lines = [
    `remote engine: ${s.tokens} tokens/stream, engine prefill ${s.firstTokenDelayMs} ms, ${s.tokenDelayMs} ms/token, ${s.rounds} rounds pooled, starts spread over one token interval (engine in its own process)`,
    'client  streams  first-token added p50/p99 ms  per-token added p50/p99 ms  request path p50/p99 ms  CPU us/token',
  ];
  const f = (p: Percentiles) => `${p.p50.toFixed(2)} / ${p.p99.toFixed(2)}`;
  for (const l of result.levels) {
    lines.push(
      `${l.client.padEnd(7)} ${String(l.concurrency).padStart(7)}  ${f(l.firstTokenAddedMs).padStart(28)}  ${f(l.perTokenAddedMs).padStart(26)}  ${f(l.requestPathMs).padStart(23)}  ${l.cpuUsPerToken.toFixed(1).padStart(12)}`,
    );
  }
  lines.push(`SSE + chunk parsing alone: ${result.parseUsPerToken.toFixed(2)} us/token`);
  lines.push('duet minus raw (the model layer over the bare transport), p99 ms: first token / per token; CPU ratio');
  for (const c of s.concurrency) {
    const raw = result.levels.find((l) => l.client === 'raw' && l.concurrency === c);
    const duet = result.levels.find((l) => l.client === 'duet' && l.concurrency === c);
    if (!raw || !duet) continue;
    lines.push(
      `  ${String(c).padStart(3)} streams: ${(duet.firstTokenAddedMs.p99 - raw.firstTokenAddedMs.p99).toFixed(2)} / ${(duet.perTokenAddedMs.p99 - raw.perTokenAddedMs.p99).toFixed(2)}; CPU x${(duet.cpuUsPerToken / raw.cpuUsPerToken).toFixed(2)}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runRemoteEngineBench();
  console.log(process.argv.includes('--json') ? JSON.stringify(result, null, 2) : format(result));
}

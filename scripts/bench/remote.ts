// The whole server's added latency on a remote engine (npm run bench:remote): WebSocket
// sessions -> Duet -> in-test OpenAI-compatible engine (own process, fixed schedule) and back.
// "Added" = arrival of a text delta at the client minus the moment the engine wrote that
// token (process.hrtime is one monotonic clock for all processes). The baseline in the same
// run is a bare HTTP client reading the same engine (scripts/bench/remote-engine.ts `raw`).
// Duet runs in its own process, pinned to one core where `taskset` exists.
//
// Run: npm run bench:remote [-- --json]

import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { runRemoteEngineBench } from './remote-engine.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LEVELS = (process.env.BENCH_LEVELS ?? '1,10,100').split(',').map(Number);
const TOKENS = 40;
/** Turn starts spread over this long (the last row repeats the top level with 0: all at once). */
const STAGGER_MS = 1000;
const TOKEN_DELAY_MS = 20;
const FIRST_TOKEN_DELAY_MS = 30;

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

interface EngineRecord { tag: string; tokenTimes: number[] }

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

function startEngine(): Promise<{ child: ChildProcess; url: string; records: () => Promise<EngineRecord[]> }> {
  const child = fork(`${ROOT}test/support/fake-engine.ts`, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let nextId = 1;
  return new Promise((resolve) => {
    child.once('message', (msg: { url: string }) => {
      child.send({ type: 'default-chat', script: { kind: 'stream', tokens: Array.from({ length: TOKENS }, (_, i) => ` t${i}`), tokenDelayMs: TOKEN_DELAY_MS, firstTokenDelayMs: FIRST_TOKEN_DELAY_MS } });
      const records = (): Promise<EngineRecord[]> =>
        new Promise((done) => {
          const id = nextId++;
          const onMessage = (m: { type: string; id: number; records: EngineRecord[] }) => {
            if (m.type === 'records' && m.id === id) {
              child.off('message', onMessage);
              done(m.records);
            }
          };
          child.on('message', onMessage);
          child.send({ type: 'records', id });
        });
      resolve({ child, url: msg.url, records });
    });
  });
}

async function startDuet(engineUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const port = 21000 + Math.floor(Math.random() * 20000);
  const pinned = spawnSync('taskset', ['--version']).status === 0;
  const args = [...(process.env.BENCH_DUET_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'server/main.ts'];
  const child = spawn(pinned ? 'taskset' : process.execPath, pinned ? ['-c', '0', process.execPath, ...args] : args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DUET__models__chat: JSON.stringify({ kind: 'remote', generator: { baseUrl: engineUrl, model: 'fake-model', maxConcurrent: 256 } }),
      DUET__models__tts: 'null',
      DUET__limits__maxSessions: '1000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `ws://127.0.0.1:${port}/v1/realtime`;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('duet did not start');
}

/**
 * Connects `sessions` sockets (measured apart), then starts one text turn on each, spread evenly
 * over `staggerMs` (independent users start at random phases; 0 = all in the same instant, the
 * worst case: every token of every stream then arrives in one synchronized burst).
 */
async function runLevel(url: string, sessions: number, round: number, staggerMs: number): Promise<{ arrivals: Map<string, number[]>; connectMs: number }> {
  const arrivals = new Map<string, number[]>();
  const t0 = nowMs();
  const sockets = await Promise.all(
    Array.from({ length: sessions }, () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, ['realtime']);
        ws.on('error', reject);
        ws.on('message', function first(data) {
          if ((JSON.parse(data.toString()) as { type: string }).type !== 'session.created') return;
          ws.off('message', first);
          resolve(ws);
        });
      }),
    ),
  );
  const connectMs = nowMs() - t0;
  await Promise.all(
    sockets.map(
      (ws, i) =>
        new Promise<void>((resolve) => {
          const tag = `r${round}-s${i}-${sessions}-st${staggerMs}`;
          const times: number[] = [];
          arrivals.set(tag, times);
          ws.on('message', (data) => {
            const at = nowMs();
            const e = JSON.parse(data.toString()) as { type: string };
            if (e.type === 'response.output_text.delta') times.push(at);
            else if (e.type === 'response.done' || e.type === 'error') {
              ws.close();
              resolve();
            }
          });
          setTimeout(() => {
            ws.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: tag }] } }));
            ws.send(JSON.stringify({ type: 'response.create', response: { output_modalities: ['text'] } }));
          }, (i * staggerMs) / sessions);
        }),
    ),
  );
  return { arrivals, connectMs };
}

export async function runRemoteBench(rounds = 3) {
  // Duet gets core 0 to itself; this client and the engine (forked after this) share core 1.
  if (spawnSync('taskset', ['--version']).status === 0) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const engine = await startEngine();
  const duet = await startDuet(engine.url);
  const levels = [];
  const runs = [...LEVELS.map((sessions) => ({ sessions, staggerMs: STAGGER_MS })), { sessions: Math.max(...LEVELS), staggerMs: 0 }];
  try {
    for (const { sessions, staggerMs } of runs) {
      const first: number[] = [];
      const perToken: number[] = [];
      const connectTimes: number[] = [];
      const cpuBefore = cpuSeconds(duet.child.pid!);
      const wallBefore = nowMs();
      for (let round = 0; round < rounds; round++) {
        const { arrivals, connectMs } = await runLevel(duet.url, sessions, round, staggerMs);
        connectTimes.push(connectMs);
        const records = await engine.records();
        for (const [tag, times] of arrivals) {
          const record = records.find((r) => r.tag === tag);
          if (!record || times.length === 0) continue;
          first.push(times[0]! - record.tokenTimes[0]!);
          for (let k = 1; k < Math.min(times.length, record.tokenTimes.length); k++) perToken.push(times[k]! - record.tokenTimes[k]!);
        }
      }
      // Duet's own CPU per session-turn (connect, one streamed answer, close): what one core can serve.
      const cpuMsPerTurn = ((cpuSeconds(duet.child.pid!) - cpuBefore) * 1000) / (sessions * rounds);
      const turnMs = FIRST_TOKEN_DELAY_MS + TOKENS * TOKEN_DELAY_MS;
      levels.push({ sessions, staggerMs, cpuMsPerTurn, sessionsPerCore: turnMs / cpuMsPerTurn, connectAllMs: pct(connectTimes, 50), wallMs: nowMs() - wallBefore, firstTokenAddedMs: { p50: pct(first, 50), p99: pct(first, 99) }, perTokenAddedMs: { p50: pct(perToken, 50), p99: pct(perToken, 99) }, samples: perToken.length });
    }
  } finally {
    duet.child.kill('SIGTERM');
    engine.child.send({ type: 'close' });
  }
  const baseline = await runRemoteEngineBench({ concurrency: LEVELS, clients: ['raw'], tokens: TOKENS, tokenDelayMs: TOKEN_DELAY_MS, firstTokenDelayMs: FIRST_TOKEN_DELAY_MS, rounds });
  return { settings: { tokens: TOKENS, tokenDelayMs: TOKEN_DELAY_MS, firstTokenDelayMs: FIRST_TOKEN_DELAY_MS, rounds }, duet: levels, rawHttpBaseline: baseline.levels };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runRemoteBench();
  mkdirSync(`${ROOT}bench-results`, { recursive: true });
  writeFileSync(`${ROOT}bench-results/remote.json`, JSON.stringify(result, null, 2));
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`(sessions connect first; then each starts one turn, spread over the stagger; ${TOKENS} tokens every ${TOKEN_DELAY_MS} ms)`);
    console.log('sessions | stagger ms | connect all ms | Duet added first token p50/p99 ms | Duet added per token p50/p99 ms | bare HTTP per token p50/p99 ms | Duet CPU ms per turn | streaming sessions per core');
    for (const level of result.duet) {
      const raw = result.rawHttpBaseline.find((l) => l.concurrency === level.sessions);
      console.log(`${level.sessions} | ${level.staggerMs} | ${level.connectAllMs.toFixed(0)} | ${level.firstTokenAddedMs.p50.toFixed(2)} / ${level.firstTokenAddedMs.p99.toFixed(2)} | ${level.perTokenAddedMs.p50.toFixed(2)} / ${level.perTokenAddedMs.p99.toFixed(2)} | ${raw ? `${raw.perTokenAddedMs.p50.toFixed(2)} / ${raw.perTokenAddedMs.p99.toFixed(2)}` : 'n/a'} | ${level.cpuMsPerTurn.toFixed(2)} | ${level.sessionsPerCore.toFixed(0)}`);
    }
  }
}

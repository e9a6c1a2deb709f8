// The whole server's added latency on a remote engine (npm run bench:remote): WebSocket
// sessions -> Duet -> in-test OpenAI-compatible engine (own process, fixed schedule) and back.
// "Added" = arrival of a text delta at the client (the TCP read that brought it) minus the
// moment the engine wrote that token (process.hrtime is one monotonic clock for all
// processes). The baseline in the same run is a bare HTTP client reading the same engine
// (scripts/bench/remote-engine.ts `raw`). Duet runs in its own process, pinned to one core
// where `taskset` exists, with the node flags of `npm start`; this client and the engine share
// the other.
//
// Rows: 1, 10 and 100 users who stay connected and take one turn per round, started at random
// moments (the target: < 5 ms added at p99 at 100); then 100 users whose turns all start in the
// same instant, so every token of every stream arrives in one burst (an engine that batches
// decode steps, like vLLM, aligns tokens this way); then 100 users who open a new session for
// every turn (connect, one answer, close: the most garbage per answer).
//
// Env: BENCH_LEVELS (default 1,10,100), BENCH_ROUNDS (default 10), BENCH_DUET_NODE_ARGS (extra
// node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" or "--trace-gc").
// Run: npm run bench:remote [-- --json]

import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { runRemoteEngineBench } from './remote-engine.js';
import { serverNodeFlags } from './server-command.js';
import { seededRandom } from './load/seeded-random.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LEVELS = (process.env.BENCH_LEVELS ?? '1,10,100').split(',').map(Number);
/** Rounds per level, pooled: 10 rounds of 100 sessions give 1000 first-token samples, so p99 is not three samples. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const TOKENS = 40;
/** Turn starts fall at random within this long (the last row repeats the top level with 0: all at once). */
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
  const args = [...serverNodeFlags(), ...(process.env.BENCH_DUET_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'server/main.ts'];
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

const DELTA_TYPE = Buffer.from('"type":"response.output_text.delta"');
const DONE_TYPE = Buffer.from('"type":"response.done"');
const ERROR_TYPE = Buffer.from('"type":"error"');
/** When each client socket last read from the kernel. */
const readAt = new WeakMap<WebSocket, number>();

/** Opens `sessions` sockets and waits for every session.created. */
async function connectAll(url: string, sessions: number): Promise<{ sockets: WebSocket[]; connectMs: number }> {
  const t0 = nowMs();
  const sockets = await Promise.all(
    Array.from({ length: sessions }, () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, ['realtime']);
        ws.on('error', reject);
        // Arrival = the moment of the TCP read that brought the frame (before ws parses it), so
        // frames that came in one read are not charged for the client handling those before them.
        ws.once('open', () => {
          const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
          socket.prependListener('data', () => readAt.set(ws, nowMs()));
        });
        ws.on('message', function first(data) {
          if ((JSON.parse(data.toString()) as { type: string }).type !== 'session.created') return;
          ws.off('message', first);
          resolve(ws);
        });
      }),
    ),
  );
  return { sockets, connectMs: nowMs() - t0 };
}

/**
 * One text turn on every socket, each started at a random moment within `staggerMs`:
 * independent users start at random phases. (Evenly spaced starts would alias with the
 * engine's token period: 100 starts 10 ms apart against 20 ms tokens put every stream on
 * one of two phases.) 0 = all in the same instant, the worst case: every token of every
 * stream then arrives in one synchronized burst. Returns each turn's delta arrival times.
 */
async function runTurns(sockets: WebSocket[], label: string, round: number, staggerMs: number): Promise<Map<string, number[]>> {
  const arrivals = new Map<string, number[]>();
  const random = seededRandom(round * 1000 + sockets.length);
  await Promise.all(
    sockets.map(
      (ws, i) =>
        new Promise<void>((resolve) => {
          const tag = `${label}-r${round}-s${i}`;
          const times: number[] = [];
          arrivals.set(tag, times);
          const onMessage = (data: WebSocket.RawData) => {
            const bytes = data as Buffer;
            // Classified without parsing: a quote inside a JSON string is escaped, so these
            // byte patterns only match the event's own type. Parsing every event here would
            // delay the next read, and the measurement would include this client's own work.
            if (bytes.indexOf(DELTA_TYPE) >= 0) times.push(readAt.get(ws) ?? nowMs());
            else if (bytes.indexOf(DONE_TYPE) >= 0 || bytes.indexOf(ERROR_TYPE) >= 0) {
              ws.off('message', onMessage);
              resolve();
            }
          };
          ws.on('message', onMessage);
          setTimeout(() => {
            ws.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: tag }] } }));
            ws.send(JSON.stringify({ type: 'response.create', response: { output_modalities: ['text'] } }));
          }, random() * staggerMs);
        }),
    ),
  );
  return arrivals;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.once('close', resolve), ws.close()))));
}

/**
 * One row: `sessions` users, `rounds` turns each. Users stay connected across their turns (a
 * conversation), unless `reconnect`: then every turn is a new session (connect, one answer,
 * close), the worst case for the server's garbage collector.
 */
interface Row {
  sessions: number;
  staggerMs: number;
  reconnect: boolean;
}

export async function runRemoteBench(rounds = ROUNDS) {
  // Duet gets core 0 to itself; this client and the engine (forked after this) share core 1.
  if (spawnSync('taskset', ['--version']).status === 0) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const engine = await startEngine();
  const duet = await startDuet(engine.url);
  const levels = [];
  const top = Math.max(...LEVELS);
  const rows: Row[] = [
    ...LEVELS.map((sessions) => ({ sessions, staggerMs: STAGGER_MS, reconnect: false })),
    { sessions: top, staggerMs: 0, reconnect: false },
    { sessions: top, staggerMs: STAGGER_MS, reconnect: true },
  ];
  try {
    for (const { sessions, staggerMs, reconnect } of rows) {
      const label = `n${sessions}-st${staggerMs}${reconnect ? '-re' : ''}`;
      const first: number[] = [];
      const perToken: number[] = [];
      const connectTimes: number[] = [];
      /** Each round's own p99: shows whether a pooled tail is everywhere or one unlucky round. */
      const roundP99s: { firstToken: number; perToken: number }[] = [];
      let sockets: WebSocket[] = [];
      if (!reconnect) {
        const connected = await connectAll(duet.url, sessions);
        sockets = connected.sockets;
        connectTimes.push(connected.connectMs);
      }
      const cpuBefore = cpuSeconds(duet.child.pid!);
      const wallBefore = nowMs();
      for (let round = 0; round < rounds; round++) {
        if (reconnect) {
          const connected = await connectAll(duet.url, sessions);
          sockets = connected.sockets;
          connectTimes.push(connected.connectMs);
        }
        const arrivals = await runTurns(sockets, label, round, staggerMs);
        if (reconnect) await closeAll(sockets);
        const records = await engine.records();
        const roundFirst: number[] = [];
        const roundPerToken: number[] = [];
        for (const [tag, times] of arrivals) {
          const record = records.find((r) => r.tag === tag);
          if (!record || times.length === 0) continue;
          roundFirst.push(times[0]! - record.tokenTimes[0]!);
          for (let k = 1; k < Math.min(times.length, record.tokenTimes.length); k++) roundPerToken.push(times[k]! - record.tokenTimes[k]!);
        }
        first.push(...roundFirst);
        perToken.push(...roundPerToken);
        roundP99s.push({ firstToken: pct(roundFirst, 99), perToken: pct(roundPerToken, 99) });
      }
      // Duet's own CPU per turn (one streamed answer; with reconnect also the connect and close).
      const cpuMsPerTurn = ((cpuSeconds(duet.child.pid!) - cpuBefore) * 1000) / (sessions * rounds);
      if (!reconnect) await closeAll(sockets);
      const turnMs = FIRST_TOKEN_DELAY_MS + TOKENS * TOKEN_DELAY_MS;
      levels.push({ sessions, staggerMs, reconnect, cpuMsPerTurn, sessionsPerCore: turnMs / cpuMsPerTurn, connectAllMs: pct(connectTimes, 50), wallMs: nowMs() - wallBefore, firstTokenAddedMs: { p50: pct(first, 50), p99: pct(first, 99) }, perTokenAddedMs: { p50: pct(perToken, 50), p99: pct(perToken, 99) }, samples: perToken.length, roundP99s });
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
    console.log(`(${ROUNDS} rounds; each round every session takes one turn, started at random within the stagger; ${TOKENS} tokens every ${TOKEN_DELAY_MS} ms after ${FIRST_TOKEN_DELAY_MS} ms of prefill)`);
    console.log('sessions | stagger ms | sessions | connect all ms | Duet added first token p50/p99 ms | Duet added per token p50/p99 ms | bare HTTP per token p50/p99 ms | Duet CPU ms per turn | streaming sessions per core');
    for (const level of result.duet) {
      const raw = result.rawHttpBaseline.find((l) => l.concurrency === level.sessions);
      console.log(`${level.sessions} | ${level.staggerMs} | ${level.reconnect ? 'new per turn' : 'kept'} | ${level.connectAllMs.toFixed(0)} | ${level.firstTokenAddedMs.p50.toFixed(2)} / ${level.firstTokenAddedMs.p99.toFixed(2)} | ${level.perTokenAddedMs.p50.toFixed(2)} / ${level.perTokenAddedMs.p99.toFixed(2)} | ${raw ? `${raw.perTokenAddedMs.p50.toFixed(2)} / ${raw.perTokenAddedMs.p99.toFixed(2)}` : 'n/a'} | ${level.cpuMsPerTurn.toFixed(2)} | ${level.sessionsPerCore.toFixed(0)}`);
    }
  }
}

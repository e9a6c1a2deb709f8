// `npm run bench:conversation`: what whole conversations cost the server. At each level N
// sessions hold a conversation through the real WebSocket path (scripts/bench/conversation/load.ts:
// real-time speech with pauses, spoken answers played at 1x by the client, barge-ins, a typed turn
// now and then) against one server (scripted chat model at 20 ms a token, espeak-ng answers,
// defaults everywhere else). A fresh server per level; the server is pinned to core 0 and the
// load generator to core 1 where taskset and two cores exist. A listen-only row (the same
// microphones, no answers) at the highest level is the comparison. Where the server is pinned,
// 'core busy' is everything on its core (its libespeak speech worker too, which the server's own
// CPU figure leaves out).
// Prints tables; writes bench-results/conversation.json.
//   --levels 10,25,50  --level-ms 40000  --listen-ms 25000  --profile (CPU profile of the server
//   at the highest level, top self time printed)  --workers 1,2 (every level per worker count,
//   compared)  --server-cpus 0,1 --load-cpus 1 (taskset lists)  --nice N
//   --server-config JSON (config sections over the bench's, e.g. '{"audio":{"vad":{"batchWindowMs":0}}}')
//   --server-node-flags '--trace-gc --initial-old-space-size=16' (after npm start's flags)
//   --echo server,client (every level with Duet's echo canceller, the default session, then with
//   sessions that cancel echo themselves: duet.echo_cancellation false, as the browser page sends)
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConversationLevelParams, ConversationLevelResult, ConversationMode } from './conversation/load.js';
import { topSelfTime, type SelfTime } from './conversation/profile.js';
import { LoadWorker, placement, ServerHandle, type Placement } from './load/processes.js';
import { machineInfo, printTable, writeResults } from './load/report.js';
import { repoRoot } from './load/speech-audio.js';
import { serverConfigFlag } from './load/server-config-flag.js';
import { coresBusy, parseCpuList, readCoreTimes } from './load/core-busy.js';
import { ratio, round } from './load/stats.js';

export interface ConversationBenchOptions {
  levels: number[];
  levelMs: number;
  /** Listen-only row at the highest level; 0: none. */
  listenMs: number;
  /** Write a CPU profile of the server at the highest conversation level and summarize it. */
  profile: boolean;
  /** Server config merged over the bench's. */
  serverConfig: Record<string, unknown>;
  /** Node flags for the server after npm start's (A/B of a V8 setting; a later flag wins). */
  serverNodeFlags: string[];
  /** Every level is run once per worker count (server.workers; 1: one process). */
  workers: number[];
  /** Every level is run once per echo placement (see EchoPlacement), in this order. */
  echo: EchoPlacement[];
  /** taskset CPU lists for the server and the load generator (default: cores 0 and 1, where there are two). */
  serverCpus: string | null;
  loadCpus: string | null;
  nice: number | null;
  write: boolean;
  print: boolean;
}

export const DEFAULTS: ConversationBenchOptions = {
  levels: [10, 25, 50],
  levelMs: 40000,
  listenMs: 25000,
  profile: false,
  serverConfig: {},
  serverNodeFlags: [],
  workers: [1],
  echo: ['server'],
  serverCpus: null,
  loadCpus: null,
  nice: null,
  write: true,
  print: true,
};

/** A spoken answer of about 5 s. */
const ANSWER = 'Sure, here is the short answer. It depends on the details, but mostly yes. Ask me if you want more.';
const SILENCE_MS = 500;
const LAG_TARGET_MS = 20;
const LATE_MS = 1500;

/** Who cancels the echo: Duet's canceller (server, the default session) or the client (duet.echo_cancellation false). */
export type EchoPlacement = 'server' | 'client';

export interface ConversationRow extends ConversationLevelResult {
  /** Server worker processes (server.workers). */
  workers: number;
  echo: EchoPlacement;
  /** Server CPU over the level as a fraction of one core. */
  serverCpuCores: number;
  /** Server CPU ms per second of one session. */
  serverCpuMsPerSessionSecond: number;
  /**
   * The server's pinned cores over the level, busy share (1: one whole core), with everything
   * on them: the server's child processes too (the libespeak worker); null when not pinned.
   */
  serverCoresBusy: number | null;
  /** serverCoresBusy as ms per second of one session (server and its speech worker). */
  coreMsPerSessionSecond: number | null;
  serverLoopDelayP99Ms: number;
  serverLoopDelayMaxMs: number;
  serverRssMb: number;
  wallSeconds: number;
  /** p99 loop lag < target and no underrun. */
  pass: boolean;
}

export interface ConversationBenchResult {
  machine: Record<string, unknown>;
  placement: Placement;
  settings: Record<string, unknown>;
  rows: ConversationRow[];
  listen: ConversationRow | null;
  /** Largest N that passed (0: none), at the first worker count. */
  sessionsHeld: number;
  /** Per worker count: the largest N that passed (echo placement: the first). */
  sessionsHeldByWorkers: Record<string, number>;
  /** Per echo placement: the largest N that passed (worker count: the first). */
  sessionsHeldByEcho: Record<string, number>;
  /** Per level, with both echo placements: client over server, server loop p99 and CPU per session-second. */
  echoComparison: { sessions: number; loopP99Ratio: number | null; cpuPerSessionSecondRatio: number | null }[];
  /** Per level, the last worker count over the first: server loop p99 and CPU per session-second. */
  workersComparison: { sessions: number; loopP99Ratio: number | null; cpuPerSessionSecondRatio: number | null }[];
  /** Conversation CPU per session-second / listen-only, at the listen row's N. */
  cpuVsListen: number | null;
  profile: { file: string; busyMs: number; idleMs: number; functions: SelfTime[] } | null;
}

async function runLevel(worker: LoadWorker, config: Record<string, unknown>, where: Placement, mode: ConversationMode, sessions: number, durationMs: number, nodeFlags: string[] = [], echo: EchoPlacement = 'server'): Promise<ConversationRow> {
  const server = await ServerHandle.start({ config }, where, nodeFlags);
  const workers = ((config.server as { workers?: number } | undefined)?.workers ?? 1) | 0 || 1;
  try {
    const params: ConversationLevelParams = { wsUrl: server.wsUrl, sessions, mode, durationMs, silenceMs: SILENCE_MS, bargeInEvery: 3, textEvery: 4, lateMs: LATE_MS, seed: sessions, clientCancelsEcho: echo === 'client' };
    // One short conversation first: a fresh server's first answers pay for JIT and lazy start-up.
    await worker.run<ConversationLevelResult>('conversation', { ...params, sessions: Math.min(2, sessions), durationMs: 1000 });
    const pinnedCores = where.pinned && where.serverCore !== null ? String(where.serverCore) : null;
    const coresBefore = pinnedCores ? readCoreTimes(pinnedCores) : null;
    const before = await server.stats();
    const r = await worker.run<ConversationLevelResult>('conversation', params);
    const after = await server.stats();
    const coresAfter = pinnedCores ? readCoreTimes(pinnedCores) : null;
    const busy = pinnedCores ? coresBusy(coresBefore, coresAfter, parseCpuList(pinnedCores).size) : null;
    const cpuMs = (after.cpuUs - before.cpuUs) / 1000;
    const wallMs = after.wallMs - before.wallMs;
    const loopP99 = round(after.loopDelayP99Ms);
    return {
      ...r,
      workers,
      echo,
      serverCpuCores: round(cpuMs / wallMs),
      serverCpuMsPerSessionSecond: round(cpuMs / (sessions * (wallMs / 1000))),
      serverCoresBusy: busy === null ? null : round(busy),
      coreMsPerSessionSecond: busy === null ? null : round((busy * 1000) / sessions),
      serverLoopDelayP99Ms: loopP99,
      serverLoopDelayMaxMs: round(after.loopDelayMaxMs),
      serverRssMb: round(after.rssMb, 1),
      wallSeconds: round(wallMs / 1000, 1),
      pass: loopP99 < LAG_TARGET_MS && r.underrunMs.n === 0,
    };
  } finally {
    await server.stop();
  }
}

export async function runConversationBench(options: Partial<ConversationBenchOptions> = {}): Promise<ConversationBenchResult> {
  const o = { ...DEFAULTS, ...options };
  const loadAtStart = loadavg();
  const dir = mkdtempSync(path.join(tmpdir(), 'duet-conversation-'));
  const scriptPath = path.join(dir, 'script.json');
  writeFileSync(scriptPath, JSON.stringify({ replies: [{ text: ANSWER }], tokenDelayMs: 20, decisions: ['<1>'], decisionDelayMs: 20 }));
  const sc = o.serverConfig;
  const configFor = (workers: number) => ({
    ...sc,
    server: { ...((sc.server as object) ?? {}), workers },
    models: { chat: { kind: 'scripted', script: scriptPath }, tts: { kind: 'espeak' }, ...((sc.models as object) ?? {}) },
  });
  const base = placement(o.nice);
  const where: Placement = {
    ...base,
    serverCore: o.serverCpus ?? base.serverCore,
    loadCore: o.loadCpus ?? base.loadCore,
    pinned: base.pinned || o.serverCpus !== null,
  };
  const worker = await LoadWorker.start(where);
  const rows: ConversationRow[] = [];
  let listen: ConversationRow | null = null;
  let profile: ConversationBenchResult['profile'] = null;
  const top = Math.max(...o.levels);
  const profileDir = path.join(repoRoot, 'bench-results', 'profiles');
  try {
    if (o.listenMs > 0) {
      listen = await runLevel(worker, configFor(o.workers[0]!), where, 'listen', top, o.listenMs);
      if (o.print) console.log(`  listen-only x${top}: ${listen.serverCpuMsPerSessionSecond} ms CPU per session-second`);
    }
    // Echo placements back to back at each level: the machine's state changes less between them.
    for (const workers of o.workers) for (const sessions of o.levels) for (const echo of o.echo) {
      const profiling = o.profile && sessions === top && workers === o.workers[0] && echo === o.echo[0] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      const flags = [...profiling, ...o.serverNodeFlags];
      const started = Date.now();
      rows.push(await runLevel(worker, configFor(workers), where, 'conversation', sessions, o.levelMs, flags, echo));
      const row = rows.at(-1)!;
      if (o.print) console.log(`  conversation x${sessions}, ${workers} worker(s), echo cancelled by the ${echo}: ${row.serverCpuMsPerSessionSecond} ms CPU per session-second, loop p99 ${row.serverLoopDelayP99Ms} ms, ${row.underrunMs.n} underruns`);
      if (flags.length > 0) {
        // The server child writes one profile per thread when it exits (server.stop() above):
        // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, the main thread is 0.
        const newest = readdirSync(profileDir)
          .filter((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0')
          .map((f) => path.join(profileDir, f))
          .filter((f) => statSync(f).mtimeMs >= started)
          .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
        if (newest) profile = { file: path.relative(repoRoot, newest), ...topSelfTime(newest, 25) };
      }
    }
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const firstEcho = o.echo[0]!;
  const first = o.workers[0]!;
  const last = o.workers.at(-1)!;
  const heldAt = (workers: number, echo = firstEcho) => Math.max(0, ...rows.filter((r) => r.pass && r.workers === workers && r.echo === echo).map((r) => r.sessions));
  const rowAt = (sessions: number, workers: number, echo: EchoPlacement = firstEcho) => rows.find((r) => r.sessions === sessions && r.workers === workers && r.echo === echo);
  const compare = (a: ConversationRow | undefined, b: ConversationRow | undefined) => ({
    loopP99Ratio: ratio(b?.serverLoopDelayP99Ms ?? null, a?.serverLoopDelayP99Ms ?? null),
    cpuPerSessionSecondRatio: ratio(b?.serverCpuMsPerSessionSecond ?? null, a?.serverCpuMsPerSessionSecond ?? null),
  });
  const sameN = listen ? rowAt(listen.sessions, first) : undefined;
  const result: ConversationBenchResult = {
    machine: machineInfo(loadAtStart),
    placement: where,
    settings: {
      levelMs: o.levelMs,
      listenMs: o.listenMs,
      serverConfig: sc,
      workers: o.workers.join(' vs '),
      echo: o.echo.join(' vs '),
      scriptedModel: { tokenDelayMs: 20, decisionDelayMs: 20, monitor: '<1> (every barge-in is a question)', answer: ANSWER },
      tts: 'espeak-ng (models.tts.kind espeak)',
      silenceMs: SILENCE_MS,
      turns: 'a turn after a 3-5 s pause; turns 1, 4, 7, ... barged in on 1-2 s into their answer; turns 2, 6, 10, ... typed',
      lagTargetMs: LAG_TARGET_MS,
      lateMs: LATE_MS,
    },
    rows,
    listen,
    sessionsHeld: heldAt(first),
    sessionsHeldByWorkers: Object.fromEntries(o.workers.map((w) => [String(w), heldAt(w)])),
    sessionsHeldByEcho: Object.fromEntries(o.echo.map((e) => [e, heldAt(first, e)])),
    workersComparison: o.workers.length < 2 ? [] : o.levels.map((sessions) => ({ sessions, ...compare(rowAt(sessions, first), rowAt(sessions, last)) })),
    echoComparison: o.echo.includes('server') && o.echo.includes('client') ? o.levels.map((sessions) => ({ sessions, ...compare(rowAt(sessions, first, 'server'), rowAt(sessions, first, 'client')) })) : [],
    cpuVsListen: ratio(sameN?.serverCpuMsPerSessionSecond ?? null, listen?.serverCpuMsPerSessionSecond ?? null),
    profile,
  };
  if (o.print) printConversation(result);
  if (o.write) {
    mkdirSync(path.join(repoRoot, 'bench-results'), { recursive: true });
    console.log(`\nwrote ${writeResults('conversation', result)}`);
  }
  return result;
}

function printConversation(r: ConversationBenchResult): void {
  const s = (x: { p50: number | null; p95: number | null; max: number | null }) => `${x.p50 ?? '-'} / ${x.p95 ?? '-'} / ${x.max ?? '-'}`;
  const all = [...(r.listen ? [r.listen] : []), ...r.rows];
  printTable(
    `Conversations per server (placement: ${r.placement.pinned ? `server core ${r.placement.serverCore}, load generator core ${r.placement.loadCore}` : 'not pinned'}; latencies ms p50 / p95 / max)`,
    ['mode', 'workers', 'echo', 'N', 'CPU ms/session-s', 'cores', 'core busy', 'core ms/session-s', 'loop p99', 'loop max', 'speech end->stopped', '->first audio', 'barge-in ->audio', 'text ->audio', 'underruns', 'max gap', 'spoken', 'text', 'barge (cut)', 'missed (barge)', 'late', 'mic late p99', 'load gen cores', 'pass'],
    all.map((x) => [
      x.mode,
      x.workers,
      x.echo,
      x.sessions,
      x.serverCpuMsPerSessionSecond,
      x.serverCpuCores,
      x.serverCoresBusy ?? '-',
      x.coreMsPerSessionSecond ?? '-',
      x.serverLoopDelayP99Ms,
      x.serverLoopDelayMaxMs,
      s(x.speechStoppedMs),
      s(x.firstAudioMs),
      s(x.bargeInFirstAudioMs),
      s(x.textFirstAudioMs),
      x.underrunMs.n,
      x.underrunMs.max,
      x.turns.spoken,
      x.turns.text,
      `${x.turns.bargeIns} (${x.turns.bargeInsCut})`,
      `${x.turns.missed} (${x.turns.missedBargeIns})`,
      x.turns.late,
      x.senderLatenessMs.p99,
      x.clientCpuCores,
      x.mode === 'conversation' ? x.pass : '',
    ]),
  );
  console.log(`\nLargest N with server loop p99 < ${LAG_TARGET_MS} ms and no underrun, by workers: ${JSON.stringify(r.sessionsHeldByWorkers)}; conversation / listen-only CPU per session-second: ${r.cpuVsListen ?? '-'}`);
  if (r.workersComparison.length > 0) console.log(`workers ${r.settings.workers}: last / first per level: ${JSON.stringify(r.workersComparison)}`);
  if (r.echoComparison.length > 0) console.log(`echo cancelled by the client / by the server, per level: ${JSON.stringify(r.echoComparison)}; largest N that passed: ${JSON.stringify(r.sessionsHeldByEcho)}`);
  console.log(`load average at start ${JSON.stringify(r.machine.loadAverageAtStart)}, at end ${JSON.stringify(r.machine.loadAverageAtEnd)}`);
  const errors = all.filter((x) => Object.keys(x.errors).length > 0).map((x) => `${x.mode} x${x.sessions}: ${JSON.stringify(x.errors)}`);
  if (errors.length) console.log(`errors: ${errors.join('; ')}`);
  if (r.profile) {
    printTable(`Server CPU profile at the highest level (${r.profile.file}; ${r.profile.busyMs} ms busy, ${r.profile.idleMs} ms idle): top self time`, ['function', 'self ms', 'share'], r.profile.functions.map((f) => [f.function, f.selfMs, f.share]));
  }
}

function parseArgs(argv: string[]): Partial<ConversationBenchOptions> {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : argv[i + 1];
  };
  const num = (flag: string) => {
    const v = value(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`${flag}: not a number: ${v}`);
    return n;
  };
  const o: Partial<ConversationBenchOptions> = {};
  const levels = value('--levels');
  if (levels) o.levels = levels.split(',').map(Number).filter((n) => n > 0);
  const levelMs = num('--level-ms');
  if (levelMs !== undefined) o.levelMs = levelMs;
  const listenMs = num('--listen-ms');
  if (listenMs !== undefined) o.listenMs = listenMs;
  const workers = value('--workers');
  if (workers) o.workers = workers.split(',').map(Number).filter((n) => n >= 1);
  const echo = value('--echo');
  if (echo) {
    const placements = echo.split(',');
    const unknown = placements.filter((e) => e !== 'server' && e !== 'client');
    if (unknown.length > 0) throw new Error(`--echo: server and/or client, not ${echo}`);
    o.echo = placements as EchoPlacement[];
  }
  const serverCpus = value('--server-cpus');
  if (serverCpus) o.serverCpus = serverCpus;
  const loadCpus = value('--load-cpus');
  if (loadCpus) o.loadCpus = loadCpus;
  const nice = num('--nice');
  if (nice !== undefined) o.nice = nice;
  if (argv.includes('--profile')) o.profile = true;
  const serverConfig = serverConfigFlag(argv);
  if (serverConfig) o.serverConfig = serverConfig;
  const nodeFlags = value('--server-node-flags');
  if (nodeFlags) o.serverNodeFlags = nodeFlags.split(/\s+/).filter((f) => f !== '');
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runConversationBench(parseArgs(process.argv.slice(2)));
}

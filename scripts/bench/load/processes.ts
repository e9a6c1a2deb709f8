// The benchmark's processes: the server under test and the load generator, each pinned to its own
// core with `taskset` where the machine has one (so the generator never steals the server's core),
// talking to the parent over IPC.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerSpec, ServerStats } from './server-process.js';
import { serverNodeFlags } from '../server-command.js';

/** The server child runs with the node flags of `npm start`; load workers with none. */
const SERVER_ENTRY = 'server-process.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Placement {
  /** Whether processes are pinned (taskset present and at least two cores). */
  pinned: boolean;
  /** A core, or a taskset CPU list such as '0,1' (a server with several workers). */
  serverCore: number | string | null;
  loadCore: number | string | null;
  cores: number;
  /** Nice value of the server and the load generator (negative: ahead of other work on the machine), or null. */
  nice: number | null;
}

/**
 * Where the two processes run. `nice` (e.g. -10) lets them preempt other work on a shared machine,
 * so wake-up delays behind neighbours' time slices do not pass for server lag; it needs the right
 * to raise priority and is skipped (null) without it.
 */
export function placement(nice: number | null = null): Placement {
  const cores = availableParallelism();
  const linux = process.platform === 'linux';
  const taskset = linux && spawnSync('taskset', ['-V']).status === 0;
  const niceOk = nice !== null && linux && spawnSync('nice', ['-n', String(nice), 'true']).stderr.length === 0;
  const base = taskset && cores >= 2 ? { pinned: true, serverCore: 0, loadCore: 1 } : { pinned: false, serverCore: null, loadCore: null };
  return { ...base, cores, nice: niceOk ? nice : null };
}

function spawnTs(entry: string, args: string[], core: number | string | null, nice: number | null, extraFlags: string[] = []): ChildProcess {
  const command = [process.execPath, ...(entry === SERVER_ENTRY ? serverNodeFlags() : []), ...extraFlags, '--import', 'tsx', path.join(here, entry), ...args];
  if (core !== null) command.unshift('taskset', '-c', String(core));
  if (nice !== null) command.unshift('nice', '-n', String(nice));
  const [cmd, ...rest] = command;
  return spawn(cmd!, rest, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Next IPC message of a type (rejects if the child exits first or reports failure). */
function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no '${type}' from child within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: { type?: string; message?: string }) => {
      if (m?.type === type) done(null, m as T);
      else if (m?.type === 'failed') done(new Error(`benchmark child failed: ${m.message}`));
    };
    const onExit = (code: number | null) => done(new Error(`benchmark child exited (${code}) before '${type}'`));
    function done(err: Error | null, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value!);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function stopChild(child: ChildProcess, message: unknown): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send(message as object);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export class ServerHandle {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** `nodeFlags`: more node flags for the server child (e.g. --cpu-prof for a profile). */
  static async start(spec: ServerSpec, where: Placement, nodeFlags: string[] = []): Promise<ServerHandle> {
    const child = spawnTs(SERVER_ENTRY, [JSON.stringify(spec)], where.serverCore, where.nice, nodeFlags);
    const ready = await nextMessage<{ port: number }>(child, 'ready', 60000).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    return new ServerHandle(child, ready.port);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/realtime`;
  }

  async stats(): Promise<ServerStats> {
    const reply = nextMessage<ServerStats>(this.child, 'stats', 10000);
    this.child.send({ type: 'stats' });
    return reply;
  }

  /** The server's Prometheus text (GET /metrics). */
  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
    return res.text();
  }

  stop(): Promise<void> {
    return stopChild(this.child, { type: 'stop' });
  }
}

export type WorkerTask = 'audio-trial' | 'duplex-level' | 'interruption' | 'conversation';

/** The load generator process: runs one task at a time (see load-worker.ts). */
export class LoadWorker {
  private nextId = 1;

  private constructor(private readonly child: ChildProcess) {}

  static async start(where: Placement): Promise<LoadWorker> {
    const child = spawnTs('load-worker.ts', [], where.loadCore, where.nice);
    await nextMessage(child, 'ready', 60000);
    return new LoadWorker(child);
  }

  run<T>(task: WorkerTask, params: unknown, timeoutMs = 600000): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`load task ${task} timed out`)), timeoutMs);
      const onMessage = (m: { type?: string; id?: number; result?: T; message?: string }) => {
        if (m?.id !== id) return;
        if (m.type === 'result') done(null, m.result);
        else if (m.type === 'failed') done(new Error(`load task ${task} failed: ${m.message}`));
      };
      const onExit = (code: number | null) => done(new Error(`load generator exited (${code}) during ${task}`));
      const done = (err: Error | null, value?: T) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value!);
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
      this.child.send({ type: 'run', id, task, params });
    });
  }

  stop(): Promise<void> {
    return stopChild(this.child, { type: 'stop' });
  }
}

// Child-process entry: one Duet server (the real app, real sockets) for a benchmark, driven over
// IPC so the parent can pin it to its own core. argv[2] is a JSON ServerSpec.
//   parent -> child: {type: 'stats'} | {type: 'stop'}
//   child -> parent: {type: 'ready', port} | {type: 'stats', ...ServerStats} | {type: 'failed', message}
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp, type AppOverrides } from '../../../server/app.js';
import { resolveConfig } from '../../../server/config/load.js';
import { scriptedModelSet, type Script, type ScriptedInstance } from '../../../models/scripted/index.js';
import { SileroModel } from '../../../server/audio/vad/silero.js';
import { gateDetectorFactory } from './gate-detector.js';
import { clusterWorkerOverrides } from '../../../server/cluster/index.js';
import { runClusterPrimary } from './cluster-server.js';
import type { Config } from '../../../server/config/schema.js';

export interface ServerSpec {
  /** Config merged over quiet benchmark defaults (no models, silent logs, many sessions). */
  config?: Record<string, unknown>;
  /** Scripted chat instances (testing-only models) with this script. */
  script?: Script;
  /** 'vad': the server's Silero + Mel front-end; 'gate': an energy gate (scheduler-only runs). */
  detector?: 'vad' | 'gate';
}

export interface ServerStats {
  cpuUs: number;
  wallMs: number;
  /** Event-loop delay since the previous stats call. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  rssMb: number;
  /** Silero inferences and frames so far (frames / inferences = mean batch across sessions). */
  vadInferences: number;
  vadFrames: number;
}

/** Counts the server's VAD inferences and their batch sizes (observation only: the call is unchanged). */
const vadCounts = { inferences: 0, frames: 0 };
const infer = SileroModel.prototype.infer;
SileroModel.prototype.infer = function (this: SileroModel, frames, states, count = frames.length) {
  vadCounts.inferences++;
  vadCounts.frames += count;
  return infer.call(this, frames, states, count);
};

function send(message: unknown): void {
  process.send?.(message);
}

/** The config the server runs with: the spec's over quiet benchmark defaults. */
export function benchConfig(spec: ServerSpec): Config {
  const config = spec.config ?? {};
  return resolveConfig({
    ...config,
    server: { logLevel: 'silent', shutdownDeadlineMs: 1000, ...((config.server as object) ?? {}) },
    limits: { maxSessions: 4096, idleTimeoutMs: 0, ...((config.limits as object) ?? {}) },
    models: { chat: null, asr: null, tts: null, ...((config.models as object) ?? {}) },
  });
}

/** Worker processes asked for explicitly (spec server.workers > 1); else the server is this one process. */
function clusterWorkers(spec: ServerSpec): number {
  return ((spec.config?.server as { workers?: number } | undefined)?.workers ?? 1) | 0;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const resolved = benchConfig(spec);
  // A cluster worker: the primary (cluster-server.ts) relays stats and stop.
  const overrides: AppOverrides = { ...clusterWorkerOverrides(resolved) };
  const models = spec.script ? scriptedModelSet(spec.script) : null;
  if (models) overrides.models = models;
  if (spec.detector === 'gate') overrides.makeDetector = gateDetectorFactory;
  const built = await buildApp(resolved, overrides);
  await built.app.listen({ host: '127.0.0.1', port: 0 });

  // Scripted instances keep every request for tests to inspect; a benchmark would grow without bound.
  if (models) {
    const scripted: readonly ScriptedInstance[] = models.instances;
    setInterval(() => scripted.forEach((m) => ((m.generateCalls.length = 0), (m.classifyCalls.length = 0))), 1000).unref();
  }

  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stats') {
      const cpu = process.cpuUsage();
      const stats: ServerStats = {
        cpuUs: cpu.user + cpu.system,
        wallMs: performance.now() - started,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        rssMb: process.memoryUsage().rss / 2 ** 20,
        vadInferences: vadCounts.inferences,
        vadFrames: vadCounts.frames,
      };
      loop.reset();
      send({ type: 'stats', ...stats });
    } else if (m?.type === 'stop') {
      void built.shutdown('bench_end').finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: (built.app.server.address() as AddressInfo).port });
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
const run = cluster.isPrimary && clusterWorkers(spec) > 1 ? () => runClusterPrimary(benchConfig(spec), clusterWorkers(spec)) : main;
run().catch((err: unknown) => {
  send({ type: 'failed', message: (err as Error).stack ?? String(err) });
  process.exit(1);
});

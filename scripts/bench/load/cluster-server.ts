// The benchmark server with server.workers > 1: this process is the cluster primary (the server's
// own, server/cluster/primary.ts) and server-process.ts runs in each worker. Towards the
// benchmark it is one server: 'ready' once every worker listens (one port), 'stats' summed over
// the workers and the primary (CPU, memory, VAD counts; event-loop delay: the worst worker),
// 'stop' drains them all.
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../../../server/config/schema.js';
import { ClusterPrimary } from '../../../server/cluster/primary.js';
import type { ServerStats } from './server-process.js';

type ChildMessage = { type?: string; port?: number } & Partial<ServerStats>;

export async function runClusterPrimary(config: Config, workers: number): Promise<void> {
  const primary = new ClusterPrimary(config, workers);
  const ports: number[] = [];
  const pending = new Map<number, (s: ServerStats) => void>();
  cluster.on('message', (worker: Worker, m: ChildMessage) => {
    if (m?.type === 'ready') {
      ports.push(m.port!);
      if (ports.length === workers) process.send?.({ type: 'ready', port: ports[0] });
    } else if (m?.type === 'stats') {
      pending.get(worker.id)?.(m as ServerStats);
      pending.delete(worker.id);
    } else if (m?.type === 'failed') process.send?.(m);
  });
  primary.start();
  const started = performance.now();
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') return primary.drain();
    if (m?.type !== 'stats') return;
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    void Promise.all(
      all.map(
        (w) =>
          new Promise<ServerStats>((resolve) => {
            pending.set(w.id, resolve);
            w.send({ type: 'stats' });
          }),
      ),
    ).then((list) => {
      const own = process.cpuUsage();
      const sum = (key: keyof ServerStats) => list.reduce((n, s) => n + (s[key] as number), 0);
      const stats: ServerStats & { workers: number } = {
        cpuUs: sum('cpuUs') + own.user + own.system,
        wallMs: performance.now() - started,
        loopDelayP99Ms: Math.max(...list.map((s) => s.loopDelayP99Ms)),
        loopDelayMaxMs: Math.max(...list.map((s) => s.loopDelayMaxMs)),
        rssMb: sum('rssMb') + process.memoryUsage().rss / 2 ** 20,
        vadInferences: sum('vadInferences'),
        vadFrames: sum('vadFrames'),
        workers: list.length,
      };
      process.send?.({ type: 'stats', ...stats });
    });
  });
  process.on('disconnect', () => primary.drain());
}

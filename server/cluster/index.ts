// Running on every core (server.workers): main.ts's hook. In the primary of a multi-worker
// server, startCluster forks the workers and returns true (main.ts does nothing more there);
// otherwise it returns false and main.ts builds and serves the app itself, with
// clusterWorkerOverrides joining a worker to the whole server.
import cluster from 'node:cluster';
import type { Config } from '../config/schema.js';
import { ClusterPrimary, workerCount } from './primary.js';

export { clusterWorkerOverrides } from './worker.js';
export { workerCount } from './primary.js';

export function startCluster(config: Config): boolean {
  if (!cluster.isPrimary || workerCount(config) <= 1) return false;
  new ClusterPrimary(config, workerCount(config)).start();
  return true;
}

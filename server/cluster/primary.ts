// The cluster primary: forks `server.workers` worker processes that all listen on the one port
// (node's cluster hands connections out round-robin), and is the one place that sees them all:
//  - admission: every worker reserves a session slot here before the upgrade, so
//    `limits.maxSessions` and draining hold for the whole server, not per worker
//  - /metrics: a worker asked for it gets every worker's registry aggregated (prom-client's
//    AggregatorRegistry: counters and histograms summed, gauges summed)
//  - SIGTERM/SIGINT: every worker drains (its sessions get the deadline to finish their turn),
//    one still loading is stopped (it has no session), the primary exits once all have gone; a
//    second signal, or the deadline + 2 s, ends them at once
// A worker that dies outside a drain is replaced; one that dies before it ever listened stops the
// server (the same failure would repeat).
import { installStopSignals } from '../stop-signals.js';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import pino from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { isDuetMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** Worker processes for this config (server.workers; 0: one per available core). */
export function workerCount(config: Config): number {
  return config.server.workers === 0 ? availableParallelism() : config.server.workers;
}

export class ClusterPrimary {
  private readonly sessions = new Map<number, number>();
  private total = 0;
  private draining = false;
  private readonly listening = new Set<number>();
  private readonly aggregator = new AggregatorRegistry();
  private readonly log;

  constructor(
    private readonly config: Config,
    private readonly count: number,
  ) {
    this.log = pino({ level: config.server.logLevel, base: { role: 'primary' } });
  }

  start(): void {
    cluster.on('message', (worker, message) => this.onMessage(worker, message));
    cluster.on('listening', (worker) => {
      this.listening.add(worker.id);
      // Began listening after the drain was decided (its SIGTERM still on the way): drain it too,
      // or it would serve on and the primary give up at its deadline (exit 1).
      if (this.draining) this.send(worker, { duet: 'drain' });
    });
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (let i = 0; i < this.count; i++) cluster.fork();
    // One drain however the signal comes: npm start forwards SIGTERM, and a signal to the process
    // group reaches the primary too (server/stop-signals.ts tells the copies apart).
    installStopSignals({
      drain: () => {
        this.log.info({ workers: Object.keys(cluster.workers ?? {}).length, deadline_ms: this.config.server.shutdownDeadlineMs }, 'draining every worker');
        this.drain();
        return new Promise<void>(() => {}); // the primary exits once every worker has gone (exitWhenEmpty)
      },
      exit: (code) => this.stopNow(code),
      log: this.log,
      hardDeadlineMs: this.config.server.shutdownDeadlineMs + 2000,
    });
    this.log.info({ workers: this.count, port: this.config.server.port }, 'cluster primary started');
  }

  /** Sessions reserved in all workers. */
  get activeSessions(): number {
    return this.total;
  }

  drain(): void {
    if (this.draining) return;
    this.draining = true;
    setTimeout(() => this.stopNow(1), this.config.server.shutdownDeadlineMs + 2000).unref();
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker) continue;
      if (this.listening.has(worker.id)) this.send(worker, { duet: 'drain' });
      else {
        // Still loading: it holds no session (the primary hands out connections only to workers
        // that listen), so there is nothing to drain. Waiting for it to start first made a stop
        // during a slow start-up run into the deadline. Its signal handler is not installed yet:
        // SIGTERM ends it at once; a download it left resumes from its .part file, a lock is taken over.
        this.log.info({ worker: worker.id }, 'stopping a worker that never served');
        worker.process.kill('SIGTERM');
      }
    }
    this.exitWhenEmpty();
  }

  private send(worker: Worker | undefined, message: PrimaryMessage): void {
    if (worker?.isConnected()) worker.send(message);
  }

  private onMessage(worker: Worker, message: unknown): void {
    if (!isDuetMessage<WorkerMessage>(message)) return;
    switch (message.duet) {
      case 'reserve': {
        const max = this.config.limits.maxSessions;
        let refusal: string | null = null;
        if (this.draining) refusal = 'The server is shutting down; connect to another server.';
        else if (this.total >= max) refusal = `The server is at its limit of ${max} sessions; try again later.`;
        else {
          this.total += 1;
          this.sessions.set(worker.id, (this.sessions.get(worker.id) ?? 0) + 1);
        }
        this.send(worker, { duet: 'reserved', id: message.id, refusal });
        return;
      }
      case 'release': {
        const held = this.sessions.get(worker.id) ?? 0;
        if (held > 0) {
          this.sessions.set(worker.id, held - 1);
          this.total -= 1;
        }
        return;
      }
      case 'metrics':
        this.aggregator.clusterMetrics().then(
          (text) => this.send(worker, { duet: 'metrics', id: message.id, text }),
          (err: unknown) => this.send(worker, { duet: 'metrics', id: message.id, error: (err as Error).message }),
        );
        return;
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.total -= this.sessions.get(worker.id) ?? 0;
    this.sessions.delete(worker.id);
    const listened = this.listening.delete(worker.id);
    if (this.draining) return this.exitWhenEmpty();
    if (!listened) {
      this.log.error({ worker: worker.id, code, signal }, 'a worker exited before it could serve: stopping');
      return this.stopNow(1);
    }
    this.log.error({ worker: worker.id, code, signal }, 'worker exited; starting a replacement');
    cluster.fork();
  }

  private exitWhenEmpty(): void {
    if (Object.keys(cluster.workers ?? {}).length === 0) {
      this.log.info('every worker drained');
      process.exit(0);
    }
  }

  private stopNow(code: number): void {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    process.exit(code);
  }
}

// A cluster worker's side: the app overrides that make one worker part of the whole server.
// Sessions are admitted through the primary's count, GET /metrics returns every worker's
// metrics aggregated by the primary, and the primary's `drain` runs the app's own graceful
// shutdown (the same one SIGTERM runs in a single process) before the worker exits.
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { AppOverrides, BuiltApp } from '../app.js';
import type { Config } from '../config/schema.js';
import type { SharedAdmission } from '../realtime/registry.js';
import { isDuetMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

const IPC_TIMEOUT_MS = 5000;

type Reply = Extract<PrimaryMessage, { id: number }>;

export class ClusterWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Reply) => void>();
  private built: BuiltApp | null = null;
  private drainRequested = false;

  constructor(private readonly config: Config) {
    // Answers the primary's prom-client requests for this worker's metrics (see onBuilt).
    new AggregatorRegistry();
    process.on('message', (m: unknown) => this.onMessage(m));
    // The primary is gone (killed): nobody will say when to stop, so drain now.
    process.on('disconnect', () => this.drain());
  }

  overrides(): Pick<AppOverrides, 'admission' | 'metricsText' | 'onBuilt'> {
    const admission: SharedAdmission = {
      reserve: async () => {
        const reply = await this.request({ duet: 'reserve', id: 0 });
        return reply.duet === 'reserved' ? reply.refusal : 'The server could not admit the session.';
      },
      release: () => this.sendToPrimary({ duet: 'release' }),
    };
    return {
      admission,
      metricsText: async () => {
        const reply = await this.request({ duet: 'metrics', id: 0 });
        if (reply.duet !== 'metrics' || reply.text === undefined) throw new Error(`cluster metrics: ${reply.duet === 'metrics' ? reply.error : 'no reply'}`);
        return reply.text;
      },
      onBuilt: (built) => {
        this.built = built;
        AggregatorRegistry.setRegistries([built.metrics.registry]);
        if (this.drainRequested) this.drain();
      },
    };
  }

  private sendToPrimary(message: WorkerMessage): void {
    if (process.connected) process.send?.(message);
  }

  private request(message: Extract<WorkerMessage, { id: number }>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`cluster primary did not answer ${message.duet} within ${IPC_TIMEOUT_MS} ms`));
      }, IPC_TIMEOUT_MS);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.sendToPrimary({ ...message, id });
    });
  }

  private onMessage(message: unknown): void {
    if (!isDuetMessage<PrimaryMessage>(message)) return;
    if (message.duet === 'drain') return this.drain();
    const resolve = this.waiting.get(message.id);
    this.waiting.delete(message.id);
    resolve?.(message);
  }

  /** The app's graceful shutdown, then exit (a signal to this process runs the same shutdown: it is shared). */
  private drain(): void {
    this.drainRequested = true;
    if (!this.built) return;
    setTimeout(() => process.exit(1), this.config.server.shutdownDeadlineMs + 1000).unref();
    this.built.shutdown('server_shutdown').then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
}

/** In a cluster worker, the overrides that join it to the whole server; elsewhere none. */
export function clusterWorkerOverrides(config: Config): Pick<AppOverrides, 'admission' | 'metricsText' | 'onBuilt'> {
  return cluster.isWorker ? new ClusterWorker(config).overrides() : {};
}

// First-start provisioning: the embedded models the configuration names by hub id and that are
// not yet complete in models.cacheDir are pulled in the background (resumable, verified against
// the hub's sizes and hashes), with progress for the log, /readyz and sessions. A cut transfer is
// retried from where it stopped; a hub that cannot be reached fails at once with one line that
// says what to do, and the server goes on without those models.

import { join } from 'node:path';
import { withFileLock } from './file-lock.js';
import { HubError } from '../models/hub/hub-api.js';
import { DEFAULT_ENDPOINT, isPulled, pullModel } from '../models/hub/pull.js';
import { resolveModelRef } from '../models/hub/resolve.js';
import type { Config } from './config/schema.js';
import type { LateRole } from './live-model-set.js';

export interface ProvisionTarget {
  role: LateRole;
  model: string;
  dtype: string;
}

export type ModelState = 'waiting' | 'downloading' | 'downloaded' | 'loading' | 'ready' | 'failed';

export interface ModelProgress extends ProvisionTarget {
  state: ModelState;
  received_bytes: number;
  total_bytes: number | null;
  error?: string;
}

export interface ProvisioningStatus {
  state: 'downloading' | 'loading' | 'done';
  models: ModelProgress[];
}

export interface ProvisionLog {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
}

export interface ProvisionerOptions {
  models: Config['models'];
  log: ProvisionLog;
  /** Called on every visible change (state, or a further tenth of a model downloaded). */
  onChange: () => void;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per metadata request and connection. */
  timeoutMs?: number;
  stallTimeoutMs?: number;
  /** Tries per model for transfers that break off (each resumes where the last stopped). */
  attempts?: number;
}

/** Models to fetch: embedded, named by hub id, not completely pulled into the cache. Recognizer first (smaller). */
export function planProvisioning(models: Config['models'], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ProvisionTarget[] {
  if (models.download === false || ['1', 'true', 'yes'].includes((env.HF_HUB_OFFLINE ?? '').toLowerCase())) return [];
  const targets: ProvisionTarget[] = [];
  for (const role of ['asr', 'chat'] as const) {
    const entry = models[role];
    if (entry?.kind !== 'embedded') continue;
    const resolved = resolveModelRef(entry.model, models.cacheDir, cwd);
    const dtype = entry.dtype ?? 'fp32';
    if (resolved.source === 'hub-cache' && !isPulled(resolved.dir, dtype)) targets.push({ role, model: entry.model, dtype });
  }
  return targets;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A hub that cannot be reached at all (DNS, refused, no answer): retrying will not help now. */
function unreachable(err: unknown): boolean {
  return err instanceof HubError && err.status === undefined && err.cause !== undefined;
}

export class Provisioner {
  readonly progress: ModelProgress[];
  private finished = false;
  private loading = false;
  private readonly endpoint: string;

  constructor(
    targets: ProvisionTarget[],
    private readonly options: ProvisionerOptions,
  ) {
    this.progress = targets.map((t) => ({ ...t, state: 'waiting', received_bytes: 0, total_bytes: null }));
    this.endpoint = options.models.hubEndpoint ?? (options.env ?? process.env).HF_ENDPOINT ?? DEFAULT_ENDPOINT;
  }

  status(): ProvisioningStatus | null {
    if (this.progress.length === 0) return null;
    return { state: this.finished ? 'done' : this.loading ? 'loading' : 'downloading', models: this.progress.map((m) => ({ ...m })) };
  }

  /** Pulls every target in turn; resolves with the roles whose files are now complete in the cache. */
  async pullAll(): Promise<LateRole[]> {
    const pulled: LateRole[] = [];
    for (const [i, model] of this.progress.entries()) {
      const ok = await this.pullOne(model);
      if (ok) pulled.push(model.role);
      else if (model.error && model.error === this.unreachableError) {
        for (const rest of this.progress.slice(i + 1)) this.set(rest, { state: 'failed', error: model.error });
        break;
      }
    }
    this.loading = true;
    this.options.onChange();
    return pulled;
  }

  /** The late models are loaded (or failed to): provisioning is over. */
  finish(roles: LateRole[], loaded: (role: LateRole) => boolean): void {
    for (const m of this.progress) {
      if (roles.includes(m.role)) m.state = loaded(m.role) ? 'ready' : 'failed';
    }
    this.finished = true;
    this.loading = false;
    this.options.onChange();
  }

  private unreachableError: string | null = null;

  private set(model: ModelProgress, change: Partial<ModelProgress>): void {
    Object.assign(model, change);
    this.options.onChange();
  }

  private async pullOne(model: ModelProgress): Promise<boolean> {
    const { models, log } = this.options;
    const env = this.options.env ?? process.env;
    const attempts = this.options.attempts ?? 3;
    this.set(model, { state: 'downloading' });
    let tenth = -1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        // One process at a time per model (server.workers start together); the next finds it complete.
        await withFileLock(join(models.cacheDir, `.${model.model.replaceAll('/', '--')}.pull-lock`), () => pullModel({
          repoId: model.model,
          revision: 'main',
          cacheDir: models.cacheDir,
          dtype: model.dtype,
          endpoint: this.endpoint,
          timeoutMs: this.options.timeoutMs ?? 5000,
          stallTimeoutMs: this.options.stallTimeoutMs ?? 30000,
          ...(env.HF_TOKEN ? { token: env.HF_TOKEN } : {}),
          onProgress: (done, total) => {
            model.received_bytes = Math.min(done, total);
            model.total_bytes = total;
            const now = total > 0 ? Math.floor((10 * model.received_bytes) / total) : 10;
            if (now === tenth) return;
            tenth = now;
            log.info({ model: model.model, received_bytes: model.received_bytes, total_bytes: total }, `models: ${model.model} (${model.dtype}): ${now * 10}% of ${mb(total)}`);
            this.options.onChange();
          },
        }));
        this.set(model, { state: 'downloaded' });
        return true;
      } catch (err) {
        const message = (err as Error).message;
        if (unreachable(err)) {
          this.unreachableError = message;
          this.set(model, { state: 'failed', error: message });
          const names = this.progress.filter((m) => m.state !== 'downloaded').map((m) => `${m.model} (${m.dtype})`).join(', ');
          log.warn(
            { err: message, endpoint: this.endpoint },
            `models: ${message}: not downloading ${names}; going on without them. To get answers: run \`npm run models:pull -- <id>\` where the hub is reachable and copy ${models.cacheDir} here, set models.chat.model to a local ONNX export, or point models.chat at an engine (README: Models); models.download: false or DUET__models__chat=null starts without trying`,
          );
          return false;
        }
        const retry = attempt < attempts && !(err instanceof HubError && err.status !== undefined && err.status < 500);
        log.warn({ err: message, model: model.model, attempt }, retry ? `models: ${model.model}: ${message}; retrying (the download resumes)` : `models: ${model.model}: ${message}; giving up`);
        if (!retry) {
          this.set(model, { state: 'failed', error: message });
          return false;
        }
      }
    }
    return false;
  }
}

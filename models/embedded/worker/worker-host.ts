// The server-thread side of one inference worker: request ids, routing of replies, abort flags,
// and failure of everything pending when the worker dies.

import { Worker } from 'node:worker_threads';
import { EmbeddedModelError, type EmbeddedErrorCode } from '../errors.js';
import { isErrorCode } from '../../../protocol/errors.js';
import { AbortSlots } from './shared-abort.js';
import type { FromWorker, ToWorker, WireError } from './protocol.js';

type Outgoing = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;
/** Returns true when the request is finished. */
type Handler = (message: FromWorker) => boolean;

export function errorFromWire(error: WireError): Error {
  if (isErrorCode(error.code)) return new EmbeddedModelError(error.code as EmbeddedErrorCode, error.message);
  return Object.assign(new Error(error.message), { name: error.name });
}

function startWorker(name: string, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./inference-worker.js', import.meta.url), { workerData, name });
  // Running the TypeScript sources: Node 20 does not carry tsx's loader hooks into worker
  // threads, so the worker registers them before importing its entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./inference-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData, name });
}

export class InferenceWorker {
  private readonly worker: Worker;
  private readonly slots = new AbortSlots();
  private readonly pending = new Map<number, { handler: Handler; slot: number | null }>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(readonly name: string) {
    this.worker = startWorker(name, { abortBuffer: this.slots.buffer });
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => this.route(message));
    this.worker.on('error', (err) => this.fail(new EmbeddedModelError('model_error', `inference worker '${name}' failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => this.fail(new EmbeddedModelError('model_error', `inference worker '${name}' exited (code ${code})`)));
  }

  get alive(): boolean {
    return this.failure === null;
  }

  /** Sends a request; `handler` gets its replies until it returns true. With `abortable`, returns the abort slot too. */
  send(message: Outgoing, handler: Handler, abortable = false, signal?: AbortSignal, transfer: ArrayBuffer[] = []): { id: number; slot: number | null } {
    const id = this.nextId++;
    if (this.failure) {
      queueMicrotask(() => handler({ type: 'error', id, error: { name: this.failure!.name, message: this.failure!.message, code: 'model_error' } }));
      return { id, slot: null };
    }
    const slot = abortable ? this.slots.take() : null;
    // Already aborted: the flag is up before the worker can see the request.
    if (slot !== null && signal?.aborted) this.slots.abort(slot);
    this.pending.set(id, { handler, slot });
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ ...message, id, ...(slot !== null ? { slot } : {}) } as ToWorker, transfer);
    return { id, slot };
  }

  /** A request answered by one message (`transfer`: buffers of `message` moved, not copied). */
  call<T>(message: Outgoing, pick: (m: FromWorker) => T | undefined, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise((resolve, reject) => {
      this.send(
        message,
        (m) => {
          if (m.type === 'error') reject(errorFromWire(m.error));
          else {
            const value = pick(m);
            if (value === undefined) return false;
            resolve(value);
          }
          return true;
        },
        false,
        undefined,
        transfer,
      );
    });
  }

  abort(id: number, slot: number | null): void {
    if (!this.pending.has(id)) return;
    if (slot !== null) this.slots.abort(slot);
    this.worker.postMessage({ type: 'abort', id } satisfies ToWorker);
  }

  private route(message: FromWorker): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (entry.handler(message)) this.finish(message.id);
  }

  private finish(id: number): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (entry.slot !== null) this.slots.give(entry.slot);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const [id, entry] of [...this.pending]) {
      entry.handler({ type: 'error', id, error: { name: err.name, message: err.message, code: 'model_error' } });
      this.finish(id);
    }
  }

  async close(): Promise<void> {
    if (this.failure) return;
    await this.call({ type: 'close' }, (m) => (m.type === 'closed' ? true : undefined)).catch(() => undefined);
    this.failure = new EmbeddedModelError('model_error', `inference worker '${this.name}' was closed`);
    await this.worker.terminate();
  }
}

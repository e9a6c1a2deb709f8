// One ModelInstance on one engine endpoint: it generates and it classifies
// (VITA's two instances swap roles on an interrupt, so each can do both).

import type { GenerateRequest, GenerationEvent, ModelInstance, MonitorDecision, MonitorRequest } from '../types.js';
import type { RemoteLog } from './engine-client.js';
import { isRemoteEngineError } from './errors.js';
import { streamChat, type GeneratorSettings } from './generator.js';
import type { RemoteMonitor } from './monitor.js';

export class RemoteModelInstance implements ModelInstance {
  readonly id: string;
  readonly #generator: GeneratorSettings;
  readonly #monitor: RemoteMonitor;
  readonly #log: RemoteLog;
  #closed = false;

  constructor(id: string, generator: GeneratorSettings, monitor: RemoteMonitor, log: RemoteLog) {
    this.id = id;
    this.#generator = generator;
    this.#monitor = monitor;
    this.#log = log;
  }

  /** Returns the stream itself (no wrapping generator: one async hop less per token). */
  generate(request: GenerateRequest): AsyncGenerator<GenerationEvent> {
    if (this.#closed) return closedStream(this.id);
    return streamChat(this.#generator, request, this.#onGenerateError);
  }

  async classify(request: MonitorRequest): Promise<MonitorDecision> {
    if (this.#closed) throw new Error(`model instance ${this.id} is closed`);
    try {
      return await this.#monitor.classify(request);
    } catch (err) {
      this.#report('classify', err);
      throw err;
    }
  }

  memoryBytes(): number | undefined {
    return undefined; // the weights live in the engine
  }

  /** Connections belong to the model set's clients, which close them. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  readonly #onGenerateError = (err: unknown): void => this.#report('generate', err);

  #report(op: string, err: unknown): void {
    if (!isRemoteEngineError(err)) return;
    this.#log.warn(
      { instance: this.id, op, role: err.role, baseUrl: err.baseUrl, code: err.code, status: err.status, outputStarted: err.outputStarted, attempts: err.attempts },
      err.message,
    );
  }
}

async function* closedStream(id: string): AsyncGenerator<GenerationEvent> {
  throw new Error(`model instance ${id} is closed`);
}

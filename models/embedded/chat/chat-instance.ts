// A ModelInstance on a shared ChatEngine, run on the calling thread. The server uses the worker
// variant (worker/worker-instance.ts) so inference never blocks its event loop; this one is what
// the worker runs, and what tests and benchmarks drive directly.

import type { GenerateRequest, GenerationEvent, ModelInstance, MonitorDecision, MonitorRequest } from '../../types.js';
import type { ChatEngine, InstanceContexts } from './chat-engine.js';

export class EmbeddedChatInstance implements ModelInstance {
  readonly contexts: InstanceContexts;

  private closed = false;

  constructor(
    readonly id: string,
    readonly engine: ChatEngine,
    /** Called once on close (the model set closes the shared engine when both instances have). */
    private readonly onClose?: () => Promise<void>,
  ) {
    this.contexts = engine.newInstanceContexts();
  }

  generate(request: GenerateRequest): AsyncIterable<GenerationEvent> {
    return this.engine.generate(this.contexts, request);
  }

  classify(request: MonitorRequest): Promise<MonitorDecision> {
    return this.engine.classify(this.contexts, request);
  }

  /** KV caches and logits buffers of this instance's two contexts (the weights are shared: ChatEngine.weightsBytes). */
  memoryBytes(): number {
    return this.contexts.generator.bytes() + this.contexts.monitor.bytes();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.contexts.generator.cache.reset();
    this.contexts.monitor.cache.reset();
    await this.onClose?.();
  }
}

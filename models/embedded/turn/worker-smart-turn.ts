// The end-of-turn model in its own inference worker (inference-worker.ts): the server thread
// only cuts the model's input from the segment's features (the last 8 s, transposed; well under a
// millisecond) and moves it to the worker. A worker of its own, not the chat model's: a pause
// must not wait behind a prefill.
import type { EndOfTurnModel, MelFeatures } from '../../types.js';
import { InferenceWorker } from '../worker/worker-host.js';
import { smartTurnInputChecked, usableForSmartTurn, type SmartTurnOptions } from './smart-turn.js';

export class WorkerSmartTurnModel implements EndOfTurnModel {
  private constructor(
    readonly id: string,
    private readonly worker: InferenceWorker,
  ) {}

  static async load(options: SmartTurnOptions): Promise<WorkerSmartTurnModel> {
    const worker = new InferenceWorker('duet-end-of-turn');
    try {
      const id = await worker.call({ type: 'load-turn', options }, (m) => (m.type === 'loaded' ? m.turnId : undefined));
      return new WorkerSmartTurnModel(id, worker);
    } catch (err) {
      await worker.close();
      throw err;
    }
  }

  accepts(mel: MelFeatures): boolean {
    return usableForSmartTurn(mel);
  }

  /** Completion probability; `elapsedMs` counts the wait behind other sessions' calls too. */
  async predict(mel: MelFeatures): Promise<{ probability: number; elapsedMs: number }> {
    const t0 = performance.now();
    const input = smartTurnInputChecked(mel);
    const probability = await this.worker.call({ type: 'predict-turn', input }, (m) => (m.type === 'turn-prediction' ? m.probability : undefined), [input.buffer as ArrayBuffer]);
    return { probability, elapsedMs: performance.now() - t0 };
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

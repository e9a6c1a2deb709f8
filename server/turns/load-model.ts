import type { Logger } from 'pino';
import type { EndOfTurnModel } from '../../models/types.js';
import type { Config } from '../config/schema.js';

/**
 * The audio end-of-turn model when turns.endOfTurn names it. Misconfiguration or a failed load is
 * reported, and the other judges (at least the silence timer) carry on: never a faked model.
 */
export async function loadEndOfTurnModel(config: Config, log: Logger): Promise<EndOfTurnModel | null> {
  const turns = config.turns;
  if (!turns.endOfTurn.includes('model')) return null;
  if (!turns.modelPath) {
    log.error('turns.endOfTurn names `model` but turns.modelPath is not set: end of turn by the other judges only');
    return null;
  }
  if (config.audio.melPreset !== 'whisper') {
    log.error({ melPreset: config.audio.melPreset }, 'the end-of-turn model reads 80-bin whisper features: set audio.melPreset to `whisper`; end of turn by the other judges only');
    return null;
  }
  try {
    // Loaded on demand: a server without the model never starts its worker. It runs off this
    // thread: onnxruntime-node runs synchronously, and a call here would stall every session.
    const { WorkerSmartTurnModel } = await import('../../models/embedded/turn/worker-smart-turn.js');
    const model = await WorkerSmartTurnModel.load({ path: turns.modelPath });
    log.info({ model: model.id }, 'end-of-turn model loaded');
    return model;
  } catch (err) {
    log.error({ err }, 'end-of-turn model failed to load: end of turn by the other judges only');
    return null;
  }
}

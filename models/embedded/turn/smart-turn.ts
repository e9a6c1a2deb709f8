// An audio end-of-turn model in the layout of Smart Turn v3 (pipecat-ai/smart-turn-v3) on
// onnxruntime-node: input `input_features` float [1, 80, 800], the last 8 s of 80-bin Whisper
// log-mel (shorter audio padded at the front), output one sigmoid probability that the turn is
// complete. The features are the audio front-end's own (`whisper` preset): nothing is recomputed.
//
// The model is small (about 8 MB, 10-65 ms per call on a CPU core), but onnxruntime-node runs a
// session synchronously on the calling thread: on the server thread every call would stall every
// session's audio. The server runs it in an inference worker (worker-smart-turn.ts); this class is
// what runs there (and in tests). Calls are not batched: on this CPU a batch of 8 took 421 ms
// against 38 ms for one call (bench:end-of-turn), so a batch only makes the first caller wait.
import * as ort from 'onnxruntime-node';
import type { EndOfTurnModel, MelFeatures } from '../../types.js';
import { EmbeddedModelError } from '../errors.js';

export const SMART_TURN_BINS = 80;
/** 8 s at the Whisper hop (10 ms). */
export const SMART_TURN_FRAMES = 800;
const INPUT_NAME = 'input_features';

export interface SmartTurnOptions {
  /** The .onnx file. */
  path: string;
  /** Threads per inference (default 1: sessions give the parallelism). */
  threads?: number;
}

export interface EndOfTurnPrediction {
  /** Probability that the speaker has finished their turn. */
  probability: number;
  elapsedMs: number;
}

/**
 * The model's input from a segment's features: the last 800 frames, transposed to bins x frames;
 * missing frames at the front get the value Whisper's normalisation gives silence
 * (max(top - 2, -1.5), as in asr/whisper-features.ts).
 */
export function smartTurnInput(mel: MelFeatures): Float32Array {
  const { bins, data } = mel;
  const used = Math.min(mel.frames, SMART_TURN_FRAMES);
  const first = mel.frames - used;
  let top = -Infinity;
  for (let i = first * bins; i < mel.frames * bins; i++) if (data[i]! > top) top = data[i]!;
  const pad = used > 0 ? Math.max(top - 2, -1.5) : -1.5;
  const out = new Float32Array(SMART_TURN_BINS * SMART_TURN_FRAMES).fill(pad);
  const offset = SMART_TURN_FRAMES - used;
  for (let f = 0; f < used; f++) {
    const row = (first + f) * bins;
    for (let b = 0; b < SMART_TURN_BINS; b++) out[b * SMART_TURN_FRAMES + offset + f] = data[row + b]!;
  }
  return out;
}

/** Whether a segment's features are what the model reads (80-bin `whisper` preset). */
export function usableForSmartTurn(mel: MelFeatures | undefined): mel is MelFeatures {
  return !!mel && mel.preset === 'whisper' && mel.bins === SMART_TURN_BINS;
}

/** The model's input from `mel` (smartTurnInput), or a RangeError for features it does not read. */
export function smartTurnInputChecked(mel: MelFeatures): Float32Array {
  if (!usableForSmartTurn(mel)) throw new RangeError(`the end-of-turn model needs 80-bin whisper features, got ${(mel as MelFeatures).preset}/${(mel as MelFeatures).bins}`);
  return smartTurnInput(mel);
}

export class SmartTurnModel implements EndOfTurnModel {
  private constructor(
    readonly id: string,
    private readonly session: ort.InferenceSession,
    private readonly outputName: string,
  ) {}

  static async load(options: SmartTurnOptions): Promise<SmartTurnModel> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(options.path, { intraOpNumThreads: options.threads ?? 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    } catch (err) {
      throw new EmbeddedModelError('model_not_found', `end-of-turn model ${options.path} failed to load: ${(err as Error).message}`);
    }
    const output = session.outputNames[0];
    if (!session.inputNames.includes(INPUT_NAME) || !output) {
      await session.release();
      throw new EmbeddedModelError('model_layout_unsupported', `${options.path} is not in the Smart Turn layout (inputs ${session.inputNames.join(', ')}; expected ${INPUT_NAME})`);
    }
    return new SmartTurnModel(`smart-turn:${options.path.split('/').pop()}`, session, output);
  }

  accepts(mel: MelFeatures): boolean {
    return usableForSmartTurn(mel);
  }

  /** Completion probability for the speech whose features are `mel` (its last 8 s count). */
  async predict(mel: MelFeatures): Promise<EndOfTurnPrediction> {
    const t0 = performance.now();
    const probability = await this.predictInput(smartTurnInputChecked(mel));
    return { probability, elapsedMs: performance.now() - t0 };
  }

  /** Completion probability for a model input already cut (smartTurnInput's layout). */
  async predictInput(input: Float32Array): Promise<number> {
    const size = SMART_TURN_BINS * SMART_TURN_FRAMES;
    if (input.length !== size) throw new RangeError(`an end-of-turn input holds ${size} values, got ${input.length}`);
    const result = await this.session.run({ [INPUT_NAME]: new ort.Tensor('float32', input, [1, SMART_TURN_BINS, SMART_TURN_FRAMES]) });
    return Number((result[this.outputName]!.data as Float32Array)[0]);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

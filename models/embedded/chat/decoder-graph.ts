// One ONNX decoder session (decoder-only LLM `model.onnx`, or a VLM's `decoder_model_merged.onnx`)
// and what its inputs/outputs look like. The session holds the weights; every inference context
// (generator, monitor) brings its own KvCache, so two instances share one copy of the weights.
//
// Written against onnxruntime-node directly rather than through transformers.js' model classes:
// those own their sessions (two instances would load the weights twice), compute logits for every
// prompt position in one go, and give no hook between decode steps for an abort.

import * as ort from 'onnxruntime-node';
import { EmbeddedModelError } from '../errors.js';

export type FloatType = 'float32' | 'float16';

export interface CacheSlot {
  past: string;
  present: string;
  type: FloatType;
  heads: number;
  headDim: number;
}

export interface GraphFallbacks {
  kvHeads: number;
  headDim: number;
}

export function sessionOptions(threads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}

function tensorMeta(session: ort.InferenceSession, name: string, inputs: boolean): ort.InferenceSession.TensorValueMetadata | undefined {
  const list = inputs ? session.inputMetadata : session.outputMetadata;
  const meta = list.find((m) => m.name === name);
  return meta && meta.isTensor ? meta : undefined;
}

export class DecoderGraph {
  readonly inputKind: 'input_ids' | 'inputs_embeds';
  readonly slots: readonly CacheSlot[];
  readonly hasPositionIds: boolean;
  readonly hasUseCacheBranch: boolean;
  readonly hasNumLogitsToKeep: boolean;
  readonly logitsType: FloatType;
  readonly embedsType: FloatType;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly path: string,
    fallbacks: GraphFallbacks,
  ) {
    const inputs = new Set(session.inputNames);
    if (inputs.has('input_ids')) this.inputKind = 'input_ids';
    else if (inputs.has('inputs_embeds')) this.inputKind = 'inputs_embeds';
    else throw new EmbeddedModelError('model_layout_unsupported', `${path}: neither input_ids nor inputs_embeds is an input`);
    if (!inputs.has('attention_mask')) throw new EmbeddedModelError('model_layout_unsupported', `${path}: no attention_mask input`);
    this.hasPositionIds = inputs.has('position_ids');
    this.hasUseCacheBranch = inputs.has('use_cache_branch');
    this.hasNumLogitsToKeep = inputs.has('num_logits_to_keep');
    const slots: CacheSlot[] = [];
    for (const name of session.inputNames) {
      const m = /^past_key_values\.(\d+)\.(key|value)$/.exec(name);
      if (!m) continue;
      const present = `present.${m[1]}.${m[2]}`;
      if (!session.outputNames.includes(present)) {
        throw new EmbeddedModelError('model_layout_unsupported', `${path}: ${name} has no matching output ${present}`);
      }
      const meta = tensorMeta(session, name, true);
      const shape = meta?.shape ?? [];
      const heads = typeof shape[1] === 'number' ? shape[1] : fallbacks.kvHeads;
      const headDim = typeof shape[3] === 'number' ? shape[3] : fallbacks.headDim;
      const type = meta?.type === 'float16' ? 'float16' : 'float32';
      slots.push({ past: name, present, type, heads, headDim });
    }
    if (slots.length === 0) throw new EmbeddedModelError('model_layout_unsupported', `${path}: no past_key_values.* inputs (a KV-cache export is needed)`);
    this.slots = slots;
    if (!session.outputNames.includes('logits')) throw new EmbeddedModelError('model_layout_unsupported', `${path}: no logits output`);
    this.logitsType = tensorMeta(session, 'logits', false)?.type === 'float16' ? 'float16' : 'float32';
    this.embedsType = tensorMeta(session, 'inputs_embeds', true)?.type === 'float16' ? 'float16' : 'float32';
  }

  static async load(path: string, options: ort.InferenceSession.SessionOptions, fallbacks: GraphFallbacks): Promise<DecoderGraph> {
    const session = await ort.InferenceSession.create(path, options);
    return new DecoderGraph(session, path, fallbacks);
  }

  run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    return this.session.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

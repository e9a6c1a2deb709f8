// Prefill and decode steps of one decoder graph for any number of inference contexts.
//
// Prefill runs in chunks: logits for a chunk are [chunk, vocab] instead of [prompt, vocab]
// (150k floats per position for Qwen), an abort lands between chunks, and a second context's
// run (the monitor's prefill, the generator's next step) interleaves at chunk boundaries
// instead of waiting for a whole long prompt.

import * as ort from 'onnxruntime-node';
import type { DecoderGraph } from './decoder-graph.js';
import { readFloats } from './half.js';
import { KvCache, OPAQUE_POSITION } from './kv-cache.js';
import type { VlmInputs } from '../vision/vlm-inputs.js';

export interface PrefillInput {
  /** Token ids as the model sees them (image tokens expanded). */
  ids: readonly number[];
  pixelValues?: ort.Tensor | null;
  pixelMask?: ort.Tensor | null;
}

export class DecoderContext {
  readonly cache: KvCache;
  /** Logits of the last position run; the sampler may modify it. */
  readonly logits: Float32Array;
  readonly stepIds = new BigInt64Array(1);
  readonly stepPosition = new BigInt64Array(1);
  /** Runs so far (prefill chunks + steps): lets tests see how work interleaves. */
  runs = 0;

  constructor(graph: DecoderGraph, vocabSize: number) {
    this.cache = new KvCache(graph);
    this.logits = new Float32Array(vocabSize);
  }

  bytes(): number {
    return this.cache.bytes() + this.logits.byteLength;
  }
}

const TRUE = new ort.Tensor('bool', new Uint8Array([1]), [1]);
const FALSE = new ort.Tensor('bool', new Uint8Array([0]), [1]);
const KEEP_ONE = new ort.Tensor('int64', new BigInt64Array([1n]), []);

export class DecoderRunner {
  private ones = new BigInt64Array(0);

  constructor(
    readonly graph: DecoderGraph,
    readonly vlm: VlmInputs | null,
    readonly vocabSize: number,
    readonly prefillChunk: number,
  ) {}

  newContext(): DecoderContext {
    return new DecoderContext(this.graph, this.vocabSize);
  }

  /**
   * Runs the part of `input` the context's cache does not already hold; leaves the last
   * position's logits in `ctx.logits`. Returns false when `signal` aborted it (cache then
   * holds a prefix of the prompt, which is still valid for reuse).
   */
  async prefill(ctx: DecoderContext, input: PrefillInput, signal?: AbortSignal): Promise<boolean> {
    const ids = input.ids;
    if (ids.length === 0) throw new Error('empty prompt');
    const hasImages = !!input.pixelValues && !!this.vlm;
    const keys = hasImages ? ids.map((id) => (id === this.vlm!.imageTokenId ? OPAQUE_POSITION : id)) : ids;
    // Reuse the cached prefix; at least the last position is run again to get its logits.
    const reuse = Math.min(ctx.cache.commonPrefix(keys), ids.length - 1);
    ctx.cache.truncate(reuse);
    let embeds: ort.Tensor | null = null;
    if (this.graph.inputKind === 'inputs_embeds') {
      embeds = await this.vlm!.embed(ids.slice(reuse));
      if (hasImages) {
        const features = await this.vlm!.imageFeatures(input.pixelValues!, input.pixelMask!);
        this.vlm!.splice(embeds, ids.slice(reuse), features);
      }
    }
    for (let start = reuse; start < ids.length; start += this.prefillChunk) {
      if (signal?.aborted) return false;
      const end = Math.min(ids.length, start + this.prefillChunk);
      let first: ort.Tensor;
      if (embeds) {
        const hidden = embeds.dims[2]!;
        const data = embeds.data as Float32Array | Uint16Array;
        first = new ort.Tensor(embeds.type as 'float32', data.subarray((start - reuse) * hidden, (end - reuse) * hidden) as Float32Array, [1, end - start, hidden]);
      } else {
        const data = new BigInt64Array(end - start);
        for (let i = start; i < end; i++) data[i - start] = BigInt(ids[i]!);
        first = new ort.Tensor('int64', data, [1, end - start]);
      }
      await this.run(ctx, first, this.positions(start, end), keys.slice(start, end));
    }
    return true;
  }

  /** Appends one token; its logits land in `ctx.logits`. */
  async step(ctx: DecoderContext, id: number): Promise<void> {
    ctx.stepIds[0] = BigInt(id);
    ctx.stepPosition[0] = BigInt(ctx.cache.length);
    const first = this.graph.inputKind === 'inputs_embeds' ? await this.vlm!.embed([id]) : new ort.Tensor('int64', ctx.stepIds, [1, 1]);
    await this.run(ctx, first, ctx.stepPosition, [id]);
  }

  /** Reference for tests: logits of every position of `ids` in one run without a cache. */
  async fullLogits(ids: readonly number[]): Promise<Float32Array> {
    if (this.graph.inputKind !== 'input_ids') throw new Error('fullLogits needs an input_ids graph');
    const out = await this.graph.run(this.feeds(new KvCache(this.graph), this.idsTensor(ids), this.positions(0, ids.length), false));
    const logits = out.logits as ort.Tensor;
    const all = new Float32Array(logits.dims[1]! * this.vocabSize);
    return readFloats(logits.data as Float32Array | Uint16Array, 0, all.length, all);
  }

  private idsTensor(ids: readonly number[]): ort.Tensor {
    return new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, ids.length]);
  }

  private positions(start: number, end: number): BigInt64Array {
    const p = new BigInt64Array(end - start);
    for (let i = start; i < end; i++) p[i - start] = BigInt(i);
    return p;
  }

  private feeds(cache: KvCache, first: ort.Tensor, positions: BigInt64Array, keepOne: boolean): Record<string, ort.Tensor> {
    const n = first.dims[1]!;
    const total = cache.length + n;
    if (this.ones.length < total) this.ones = new BigInt64Array(Math.max(total, this.ones.length * 2, 1024)).fill(1n);
    const feeds: Record<string, ort.Tensor> = {
      [this.graph.inputKind]: first,
      attention_mask: new ort.Tensor('int64', this.ones.subarray(0, total), [1, total]),
    };
    if (this.graph.hasPositionIds) feeds.position_ids = new ort.Tensor('int64', positions, [1, n]);
    if (this.graph.hasUseCacheBranch) feeds.use_cache_branch = cache.length > 0 ? TRUE : FALSE;
    if (this.graph.hasNumLogitsToKeep && keepOne) feeds.num_logits_to_keep = KEEP_ONE;
    const slots = this.graph.slots;
    for (let i = 0; i < slots.length; i++) feeds[slots[i]!.past] = cache.past[i]!;
    return feeds;
  }

  private async run(ctx: DecoderContext, first: ort.Tensor, positions: BigInt64Array, keys: ArrayLike<number>): Promise<void> {
    const out = await this.graph.run(this.feeds(ctx.cache, first, positions, true));
    ctx.runs++;
    const logits = out.logits as ort.Tensor;
    const rows = logits.dims[1]!;
    readFloats(logits.data as Float32Array | Uint16Array, (rows - 1) * this.vocabSize, this.vocabSize, ctx.logits);
    ctx.cache.update(out, keys);
  }
}

// The KV cache of one inference context, and the token ids it covers (so a new prompt that
// starts with the same tokens reuses it: the monitor's fixed instructions are prefilled once).

import * as ort from 'onnxruntime-node';
import type { CacheSlot, DecoderGraph } from './decoder-graph.js';

/** A position that holds something other than a plain token (an image feature). Never matches. */
export const OPAQUE_POSITION = -1;

function emptyTensor(slot: CacheSlot): ort.Tensor {
  const data = slot.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
  return new ort.Tensor(slot.type, data, [1, slot.heads, 0, slot.headDim]);
}

export class KvCache {
  past: ort.Tensor[];
  /** Token id per cached position (OPAQUE_POSITION for image features). */
  readonly tokens: number[] = [];

  constructor(private readonly graph: DecoderGraph) {
    this.past = graph.slots.map(emptyTensor);
  }

  get length(): number {
    return this.tokens.length;
  }

  reset(): void {
    this.past = this.graph.slots.map(emptyTensor);
    this.tokens.length = 0;
  }

  /** Takes the `present.*` outputs of a run that appended `added` positions. */
  update(outputs: ort.InferenceSession.ReturnType, added: ArrayLike<number>): void {
    const slots = this.graph.slots;
    for (let i = 0; i < slots.length; i++) this.past[i] = outputs[slots[i]!.present] as ort.Tensor;
    for (let i = 0; i < added.length; i++) this.tokens.push(added[i]!);
  }

  /** Length of the common prefix of the cache and `ids`. */
  commonPrefix(ids: ArrayLike<number>): number {
    const n = Math.min(this.tokens.length, ids.length);
    let i = 0;
    while (i < n && this.tokens[i] === ids[i] && ids[i] !== OPAQUE_POSITION) i++;
    return i;
  }

  /** Keeps the first `keep` positions (copies: ORT tensors are immutable views of their buffers). */
  truncate(keep: number): void {
    if (keep >= this.tokens.length) return;
    if (keep === 0) return this.reset();
    const slots = this.graph.slots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const old = this.past[i]!;
      const total = old.dims[2]!;
      const src = old.data as Float32Array | Uint16Array;
      const dst = slot.type === 'float16' ? new Uint16Array(slot.heads * keep * slot.headDim) : new Float32Array(slot.heads * keep * slot.headDim);
      const rowIn = total * slot.headDim;
      const rowOut = keep * slot.headDim;
      for (let h = 0; h < slot.heads; h++) dst.set(src.subarray(h * rowIn, h * rowIn + rowOut), h * rowOut);
      this.past[i] = new ort.Tensor(slot.type, dst, [1, slot.heads, keep, slot.headDim]);
    }
    this.tokens.length = keep;
  }

  bytes(): number {
    let total = 0;
    for (const t of this.past) total += (t.data as ArrayBufferView).byteLength;
    return total;
  }
}

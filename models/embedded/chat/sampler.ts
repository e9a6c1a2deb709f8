// Next-token choice: greedy, or temperature + top-k + top-p sampling with a seeded RNG, after
// an optional repetition penalty (as Hugging Face applies it). Buffers are allocated once per
// sampler, so the per-token path allocates nothing.

export interface SamplingConfig {
  doSample: boolean;
  temperature: number;
  /** 0: no top-k limit (top-p then works within MAX_CANDIDATES). */
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed: number;
}

/** Top-p without top-k still looks at this many best tokens only (a full sort of 150k logits per token is waste). */
export const MAX_CANDIDATES = 1024;

export function samplingFromGenerationConfig(gen: Record<string, unknown>): SamplingConfig {
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  return {
    doSample: gen.do_sample === true,
    temperature: num(gen.temperature, 1),
    topK: Math.max(0, Math.floor(num(gen.top_k, 50))),
    topP: num(gen.top_p, 1),
    repetitionPenalty: num(gen.repetition_penalty, 1),
    seed: 0,
  };
}

export class Sampler {
  private readonly seen: Uint8Array;
  private readonly seenList: Int32Array;
  private seenCount = 0;
  private readonly candIds: Int32Array;
  private readonly candVals: Float64Array;
  private rng: number;

  constructor(
    vocabSize: number,
    readonly config: SamplingConfig,
  ) {
    this.seen = new Uint8Array(vocabSize);
    this.seenList = new Int32Array(vocabSize);
    const k = Math.min(vocabSize, config.topK > 0 ? config.topK : MAX_CANDIDATES);
    this.candIds = new Int32Array(k);
    this.candVals = new Float64Array(k);
    this.rng = config.seed >>> 0 || 0x9e3779b9;
  }

  get greedy(): boolean {
    return !this.config.doSample || this.config.temperature <= 0;
  }

  /** Starts a generation: the prompt's tokens count for the repetition penalty, as in HF. */
  reset(promptIds: ArrayLike<number>): void {
    for (let i = 0; i < this.seenCount; i++) this.seen[this.seenList[i]!] = 0;
    this.seenCount = 0;
    if (this.config.repetitionPenalty !== 1) for (let i = 0; i < promptIds.length; i++) this.observe(promptIds[i]!);
  }

  observe(id: number): void {
    if (this.config.repetitionPenalty === 1 || id < 0 || id >= this.seen.length || this.seen[id]) return;
    this.seen[id] = 1;
    this.seenList[this.seenCount++] = id;
  }

  /** Picks the next token from `logits` (modified in place by the penalty). */
  pick(logits: Float32Array): number {
    const penalty = this.config.repetitionPenalty;
    if (penalty !== 1) {
      for (let i = 0; i < this.seenCount; i++) {
        const id = this.seenList[i]!;
        const v = logits[id]!;
        logits[id] = v > 0 ? v / penalty : v * penalty;
      }
    }
    return this.greedy ? argmax(logits) : this.sample(logits);
  }

  private sample(logits: Float32Array): number {
    const k = this.topCandidates(logits);
    const t = this.config.temperature;
    const ids = this.candIds;
    const vals = this.candVals;
    // candidates are sorted best first; softmax with temperature
    const max = vals[0]!;
    let sum = 0;
    for (let i = 0; i < k; i++) {
      vals[i] = Math.exp((vals[i]! - max) / t);
      sum += vals[i]!;
    }
    let keep = k;
    if (this.config.topP < 1) {
      let acc = 0;
      for (let i = 0; i < k; i++) {
        acc += vals[i]! / sum;
        if (acc >= this.config.topP) {
          keep = i + 1;
          break;
        }
      }
      sum = 0;
      for (let i = 0; i < keep; i++) sum += vals[i]!;
    }
    let r = this.random() * sum;
    for (let i = 0; i < keep; i++) {
      r -= vals[i]!;
      if (r <= 0) return ids[i]!;
    }
    return ids[keep - 1]!;
  }

  /** Fills candIds/candVals with the best logits, sorted descending; returns how many. */
  private topCandidates(logits: Float32Array): number {
    const cap = this.candIds.length;
    const ids = this.candIds;
    const vals = this.candVals;
    let n = 0;
    for (let id = 0; id < logits.length; id++) {
      const v = logits[id]!;
      if (n === cap && v <= vals[n - 1]!) continue;
      // insertion into the sorted list (cap is small: top_k is 20-50 in practice)
      let pos = n === cap ? n - 1 : n++;
      while (pos > 0 && vals[pos - 1]! < v) {
        vals[pos] = vals[pos - 1]!;
        ids[pos] = ids[pos - 1]!;
        pos--;
      }
      vals[pos] = v;
      ids[pos] = id;
    }
    return n;
  }

  /** mulberry32 */
  private random(): number {
    this.rng = (this.rng + 0x6d2b79f5) >>> 0;
    let t = this.rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

// One loaded chat model (decoder-only LLM or SmolVLM-class VLM): tokenizer and chat template
// from transformers.js, our decode loop on onnxruntime-node. Any number of instances share it;
// each brings its own contexts (KV caches).

import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { GenerateRequest, GenerationEvent, MonitorDecision, MonitorOutcome, MonitorRequest } from '../../types.js';
import { MONITOR_OUTCOMES } from '../../types.js';
import { EmbeddedModelError } from '../errors.js';
import { eosTokenIds, inspectModelDir, onnxBytes, onnxFile, textConfig, type ModelDir } from '../model-dir.js';
import { useLocalModelsOnly } from '../transformers-env.js';
import { VlmInputs } from '../vision/vlm-inputs.js';
import { DecoderGraph, sessionOptions } from './decoder-graph.js';
import { DecoderRunner, type DecoderContext, type PrefillInput } from './decoder-runner.js';
import { Mutex } from './mutex.js';
import { PriorityGate } from './priority-gate.js';
import { chatPrompt, monitorPrompt, type ChatPrompt } from './prompt.js';
import { Sampler, samplingFromGenerationConfig, type SamplingConfig } from './sampler.js';
import { resolveStateTokens, type ResolvedStateTokens } from './state-tokens.js';
import { ByteTableStream, WindowedDecodeStream, loadByteTable, type TextStream } from './text-stream.js';

export interface ChatEngineOptions {
  /** Model directory (already resolved). */
  dir: string;
  /** Display id, e.g. the configured model name. */
  id?: string;
  dtype?: string;
  /** ORT intra-op threads of the shared session (default: ORT's choice, one per physical core). */
  threads?: number;
  maxNewTokens: number;
  stateTokens?: readonly string[];
  /** Prompt positions per prefill run (default 64). */
  prefillChunk?: number;
  /** Longest prompt + answer (default: the model's max_position_embeddings, at most 8192). */
  contextLimit?: number;
  /** Overrides of generation_config.json sampling (tests pin greedy decoding this way). */
  sampling?: Partial<SamplingConfig>;
}

/** The two contexts of one instance: the monitor keeps its own cache, so the instance can classify while it generates. */
export interface InstanceContexts {
  generator: DecoderContext;
  monitor: DecoderContext;
  generatorLock: Mutex;
  monitorLock: Mutex;
  seed: number;
}

export interface IdGenerationOptions {
  maxNewTokens: number;
  signal?: AbortSignal;
  sampling?: Partial<SamplingConfig>;
}

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** Softmax of `logits` over the token ids `ids`, in their order. */
function softmaxAt(logits: ArrayLike<number>, ids: readonly number[]): number[] {
  let max = -Infinity;
  for (const id of ids) max = Math.max(max, logits[id]!);
  const e = ids.map((id) => Math.exp(logits[id]! - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export class ChatEngine {
  readonly stateTokens: ResolvedStateTokens;
  readonly eos: ReadonlySet<number>;
  readonly contextLimit: number;
  private seeds = 0;
  /** Monitor decisions run before generator steps. */
  readonly priority = new PriorityGate();

  private constructor(
    readonly id: string,
    readonly model: ModelDir,
    readonly tokenizer: PreTrainedTokenizer,
    readonly runner: DecoderRunner,
    private readonly byteTable: (Uint8Array | null)[] | null,
    private readonly options: ChatEngineOptions,
    /** Bytes of the ONNX weights this engine loaded (shared by every instance). */
    readonly weightsBytes: number,
  ) {
    this.stateTokens = resolveStateTokens(tokenizer, options.stateTokens);
    this.eos = new Set(eosTokenIds(model));
    const maxPositions = Number(textConfig(model).max_position_embeddings ?? 8192);
    this.contextLimit = options.contextLimit ?? Math.min(maxPositions, 8192);
  }

  static async load(options: ChatEngineOptions): Promise<ChatEngine> {
    useLocalModelsOnly();
    const model = inspectModelDir(options.dir);
    if (model.kind === 'whisper') throw new EmbeddedModelError('model_layout_unsupported', `${options.dir} is a Whisper model, not a chat model`);
    const text = textConfig(model);
    const heads = Number(text.num_attention_heads ?? 1);
    const fallbacks = {
      kvHeads: Number(text.num_key_value_heads ?? heads),
      headDim: Number(text.head_dim ?? Number(text.hidden_size ?? 0) / heads),
    };
    const sessionOpts = sessionOptions(options.threads);
    const base = model.kind === 'vision-language' ? 'decoder_model_merged' : 'model';
    const decoderPath = onnxFile(options.dir, base, options.dtype);
    const graph = await DecoderGraph.load(decoderPath, sessionOpts, fallbacks);
    let weights = onnxBytes(decoderPath);
    let vlm: VlmInputs | null = null;
    if (model.kind === 'vision-language') {
      vlm = await VlmInputs.load(options.dir, model.config, options.dtype, sessionOpts);
      weights += onnxBytes(onnxFile(options.dir, 'vision_encoder', options.dtype)) + onnxBytes(onnxFile(options.dir, 'embed_tokens', options.dtype));
    }
    const tokenizer = await AutoTokenizer.from_pretrained(options.dir, { local_files_only: true });
    const vocabSize = Number(text.vocab_size ?? model.config.vocab_size);
    if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new EmbeddedModelError('model_layout_unsupported', `${options.dir}: config.json has no vocab_size`);
    const runner = new DecoderRunner(graph, vlm, vocabSize, options.prefillChunk ?? 64);
    const cleanUp = (tokenizer as unknown as { config?: { clean_up_tokenization_spaces?: boolean } }).config?.clean_up_tokenization_spaces === true;
    const byteTable = cleanUp ? null : loadByteTable(options.dir);
    return new ChatEngine(options.id ?? options.dir, model, tokenizer, runner, byteTable, options, weights);
  }

  get vision(): boolean {
    return this.runner.vlm !== null;
  }

  newInstanceContexts(): InstanceContexts {
    return {
      generator: this.runner.newContext(),
      monitor: this.runner.newContext(),
      generatorLock: new Mutex(),
      monitorLock: new Mutex(),
      seed: ++this.seeds,
    };
  }

  textStream(): TextStream {
    return this.byteTable ? new ByteTableStream(this.byteTable) : new WindowedDecodeStream(this.tokenizer);
  }

  /** Renders and tokenizes a prompt; images go through the VLM processor. */
  async promptInput(prompt: ChatPrompt): Promise<PrefillInput> {
    const text = this.tokenizer.apply_chat_template(prompt.messages as never, { tokenize: false, add_generation_prompt: true }) as string;
    if (this.runner.vlm) return this.runner.vlm.prepare(text, prompt.images);
    return { ids: this.tokenizer.encode(text, { add_special_tokens: false }) };
  }

  /** The prompt with as much history as fits `budget` tokens (oldest messages dropped first). */
  private async fit(build: (skip: number) => ChatPrompt, budget: number): Promise<PrefillInput> {
    let previous = -1;
    for (let skip = 0; ; skip = skip === 0 ? 1 : skip * 2) {
      const prompt = build(skip);
      if (prompt.messages.length === previous) break;
      previous = prompt.messages.length;
      const input = await this.promptInput(prompt);
      if (input.ids.length <= budget) return input;
    }
    throw new EmbeddedModelError('prompt_too_long', `the query alone is longer than the context allows (${budget} tokens)`);
  }

  samplingFor(seed: number, temperature?: number, overrides?: Partial<SamplingConfig>): SamplingConfig {
    const config = { ...samplingFromGenerationConfig(this.model.generationConfig), seed, ...this.options.sampling, ...overrides };
    if (temperature !== undefined) {
      config.temperature = temperature;
      config.doSample = temperature > 0;
    }
    return config;
  }

  /** Token ids of a reply to `input`, one per decode step. Stops at eos, the limit, or abort (checked before every run). */
  async *generateIds(ctx: DecoderContext, input: PrefillInput, options: IdGenerationOptions & { seed?: number; temperature?: number }): AsyncGenerator<number, 'stop' | 'length' | 'aborted'> {
    const sampler = new Sampler(this.runner.vocabSize, this.samplingFor(options.seed ?? 0, options.temperature, options.sampling));
    sampler.reset(input.ids);
    if (!(await this.runner.prefill(ctx, input, options.signal))) return 'aborted';
    for (let n = 0; ; ) {
      if (options.signal?.aborted) return 'aborted';
      const id = sampler.pick(ctx.logits);
      if (this.eos.has(id)) return 'stop';
      sampler.observe(id);
      n++;
      yield id;
      if (n >= options.maxNewTokens) return 'length';
      const monitorRunning = this.priority.pending();
      if (monitorRunning) await monitorRunning;
      if (options.signal?.aborted) return 'aborted';
      await this.runner.step(ctx, id);
    }
  }

  async *generate(contexts: InstanceContexts, request: GenerateRequest): AsyncGenerator<GenerationEvent> {
    const t0 = performance.now();
    const release = await contexts.generatorLock.acquire();
    let firstTextAt: number | null = null;
    let firstTokenAt: number | null = null;
    let lastTokenAt = 0;
    let tokens = 0;
    let promptTokens: number | undefined;
    let finishReason: 'stop' | 'length' | 'aborted' = 'aborted';
    try {
      const maxNew = Math.max(1, Math.min(request.maxOutputTokens ?? Infinity, this.options.maxNewTokens));
      const input = await this.fit((skip) => chatPrompt(request, this.vision, skip), this.contextLimit - maxNew);
      promptTokens = input.ids.length;
      const stream = this.textStream();
      const ids = this.generateIds(contexts.generator, input, { maxNewTokens: maxNew, signal: request.signal, seed: contexts.seed, temperature: request.temperature });
      for (;;) {
        const next = await ids.next();
        if (next.done) {
          finishReason = next.value;
          break;
        }
        lastTokenAt = performance.now();
        firstTokenAt ??= lastTokenAt;
        tokens++;
        const text = stream.push(next.value);
        if (text && !request.signal.aborted) {
          firstTextAt ??= performance.now();
          yield { type: 'delta', text };
        }
      }
      const tail = stream.flush();
      if (tail && finishReason !== 'aborted') {
        firstTextAt ??= performance.now();
        yield { type: 'delta', text: tail };
      }
    } finally {
      release();
    }
    const decodeMs = firstTokenAt !== null ? lastTokenAt - firstTokenAt : 0;
    yield {
      type: 'done',
      stats: {
        firstTokenMs: firstTextAt === null ? null : firstTextAt - t0,
        tokens,
        tokensPerSecond: tokens > 1 && decodeMs > 0 ? ((tokens - 1) * 1000) / decodeMs : null,
        finishReason,
        ...(promptTokens !== undefined ? { promptTokens } : {}),
      },
    };
  }

  /** Softmax over the three state tokens of the next-token logits after one prefill of `input`. */
  async stateProbabilities(ctx: DecoderContext, input: PrefillInput, signal?: AbortSignal): Promise<[number, number, number]> {
    if (!(await this.runner.prefill(ctx, input, signal))) throw abortError();
    const [a, b, c] = softmaxAt(ctx.logits, this.stateTokens.ids);
    return [a!, b!, c!];
  }

  async classify(contexts: InstanceContexts, request: MonitorRequest): Promise<MonitorDecision> {
    const t0 = performance.now();
    const leave = this.priority.enter(); // synchronously: the generator's next step already waits
    const release = await contexts.monitorLock.acquire();
    try {
      if (request.signal?.aborted) throw abortError();
      // The fourth outcome is read only when asked for and this model has a string for it.
      const incomplete = request.allowIncomplete ? this.stateTokens.incomplete : null;
      const input = await this.fit((skip) => monitorPrompt(request, this.stateTokens, this.vision, skip, incomplete !== null), this.contextLimit - 1);
      if (!(await this.runner.prefill(contexts.monitor, input, request.signal))) throw abortError();
      const p = softmaxAt(contexts.monitor.logits, incomplete ? [...this.stateTokens.ids, incomplete.id] : this.stateTokens.ids);
      const probabilities: MonitorDecision['probabilities'] = { query: p[0]!, noise: p[1]!, text: p[2]!, ...(incomplete ? { incomplete: p[3]! } : {}) };
      let token: MonitorOutcome = 'query';
      for (const s of MONITOR_OUTCOMES) if ((probabilities[s] ?? -1) > probabilities[token]!) token = s;
      return { token, probabilities, elapsedMs: performance.now() - t0 };
    } finally {
      release();
      leave();
    }
  }

  async close(): Promise<void> {
    await this.runner.graph.release();
    await this.runner.vlm?.release();
  }
}

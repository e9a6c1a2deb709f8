// Whisper ASR (encoder_model.onnx + decoder_model_merged.onnx) through transformers.js, which
// already does what Whisper needs (forced prefix tokens, suppression, the merged decoder's
// use_cache_branch); we add features computed once per segment, streaming deltas and abort.

import {
  AutoTokenizer,
  StoppingCriteria,
  Tensor,
  TextStreamer,
  WhisperFeatureExtractor,
  WhisperForConditionalGeneration,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import type { SpeechRecognizer, TranscribeRequest, TranscriptionEvent } from '../../types.js';
import { EmbeddedModelError } from '../errors.js';
import { inspectModelDir } from '../model-dir.js';
import { useLocalModelsOnly } from '../transformers-env.js';
import { AsyncQueue } from './async-queue.js';
import { WHISPER_FRAMES, WHISPER_SAMPLES, melToWhisperInput, usableMel } from './whisper-features.js';

export interface WhisperOptions {
  dir: string;
  id?: string;
  dtype?: string;
  threads?: number;
  /** Longest transcript per 30 s window, in tokens (Whisper's own limit is 448 positions). */
  maxNewTokens?: number;
}

class AbortCriteria extends StoppingCriteria {
  constructor(private readonly signal: AbortSignal | undefined) {
    super();
  }

  override _call(inputIds: unknown[]): boolean[] {
    return new Array(inputIds.length).fill(this.signal?.aborted === true);
  }
}

export class WhisperRecognizer implements SpeechRecognizer {
  /** Segments transcribed from the front-end's features / from samples (lets tests see which path ran). */
  readonly featureSource = { mel: 0, samples: 0 };

  private constructor(
    readonly id: string,
    private readonly model: WhisperForConditionalGeneration,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly extractor: WhisperFeatureExtractor,
    private readonly bins: number,
    private readonly multilingual: boolean,
    private readonly maxNewTokens: number,
  ) {}

  static async load(options: WhisperOptions): Promise<WhisperRecognizer> {
    useLocalModelsOnly();
    const info = inspectModelDir(options.dir);
    if (info.kind !== 'whisper') throw new EmbeddedModelError('model_layout_unsupported', `${options.dir} is not a Whisper model (model_type '${info.modelType}')`);
    const model = (await WhisperForConditionalGeneration.from_pretrained(options.dir, {
      local_files_only: true,
      device: 'cpu',
      dtype: (options.dtype ?? 'fp32') as 'fp32',
      ...(options.threads ? { session_options: { intraOpNumThreads: options.threads, interOpNumThreads: 1 } } : {}),
    })) as WhisperForConditionalGeneration;
    const tokenizer = await AutoTokenizer.from_pretrained(options.dir, { local_files_only: true });
    const extractor = (await WhisperFeatureExtractor.from_pretrained(options.dir, { local_files_only: true })) as WhisperFeatureExtractor;
    const bins = Number(info.config.num_mel_bins ?? 80);
    return new WhisperRecognizer(options.id ?? options.dir, model, tokenizer, extractor, bins, info.generationConfig.is_multilingual === true, options.maxNewTokens ?? 224);
  }

  /** Encoder inputs, one per 30 s window. */
  private async windows(request: TranscribeRequest): Promise<Tensor[]> {
    const { segment } = request;
    if (usableMel(segment.mel, this.bins)) {
      this.featureSource.mel++;
      return [new Tensor('float32', melToWhisperInput(segment.mel), [1, this.bins, WHISPER_FRAMES])];
    }
    this.featureSource.samples++;
    const out: Tensor[] = [];
    for (let start = 0; start < Math.max(1, segment.samples.length); start += WHISPER_SAMPLES) {
      const piece = segment.samples.subarray(start, start + WHISPER_SAMPLES);
      const { input_features } = (await this.extractor(piece)) as { input_features: Tensor };
      out.push(input_features);
    }
    return out;
  }

  async *transcribe(request: TranscribeRequest): AsyncGenerator<TranscriptionEvent> {
    const t0 = performance.now();
    const queue = new AsyncQueue<string>();
    const texts: string[] = [];
    const run = (async () => {
      for (const features of await this.windows(request)) {
        if (request.signal?.aborted) break;
        const streamer = new TextStreamer(this.tokenizer, {
          skip_prompt: true,
          skip_special_tokens: true,
          callback_function: (text: string) => queue.push(text),
        });
        const ids = (await this.model.generate({
          inputs: features,
          max_new_tokens: this.maxNewTokens,
          streamer,
          stopping_criteria: [new AbortCriteria(request.signal)],
          ...(this.multilingual ? { language: request.language ?? 'en', task: 'transcribe' } : {}),
        } as never)) as Tensor;
        const row = (ids.tolist() as bigint[][])[0] ?? [];
        texts.push(this.tokenizer.decode(row, { skip_special_tokens: true }).trim());
      }
    })();
    run.then(
      () => queue.close(),
      (err: unknown) => queue.fail(err),
    );
    for await (const text of queue) if (text && !request.signal?.aborted) yield { type: 'delta', text };
    await run;
    yield { type: 'done', text: texts.filter(Boolean).join(' '), elapsedMs: performance.now() - t0 };
  }

  async close(): Promise<void> {
    await this.model.dispose();
  }
}

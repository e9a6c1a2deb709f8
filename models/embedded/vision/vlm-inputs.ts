// The image side of an Idefics3 / SmolVLM export: transformers.js' processor splits and
// normalises the images and expands each `<image>` into its token block; our sessions
// (vision_encoder.onnx, embed_tokens.onnx) turn images and ids into decoder input embeddings.

import * as ort from 'onnxruntime-node';
import { AutoProcessor, RawImage, type Processor } from '@huggingface/transformers';
import type { ImageInput } from '../../types.js';
import { EmbeddedModelError } from '../errors.js';
import { onnxFile } from '../model-dir.js';

export interface VlmPromptInputs {
  ids: number[];
  pixelValues: ort.Tensor | null;
  pixelMask: ort.Tensor | null;
}

interface TjsTensor {
  data: ArrayLike<number | bigint | boolean> & { length: number };
  dims: number[];
  type: string;
}

function toOrt(t: TjsTensor): ort.Tensor {
  if (t.type === 'bool') {
    const src = t.data as ArrayLike<number | boolean>;
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
    return new ort.Tensor('bool', out, t.dims);
  }
  return new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
}

export async function decodeImage(image: ImageInput): Promise<RawImage> {
  try {
    return await RawImage.fromBlob(new Blob([image.bytes], { type: image.mimeType }));
  } catch (err) {
    throw new EmbeddedModelError('invalid_image', `could not decode ${image.mimeType} image: ${(err as Error).message}`, { cause: err });
  }
}

export class VlmInputs {
  private constructor(
    private readonly processor: Processor,
    private readonly visionSession: ort.InferenceSession,
    private readonly embedSession: ort.InferenceSession,
    readonly imageTokenId: number,
  ) {}

  static async load(dir: string, config: Record<string, unknown>, dtype: string | undefined, options: ort.InferenceSession.SessionOptions): Promise<VlmInputs> {
    const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
    const vision = await ort.InferenceSession.create(onnxFile(dir, 'vision_encoder', dtype), options);
    const embed = await ort.InferenceSession.create(onnxFile(dir, 'embed_tokens', dtype), options);
    const imageTokenId = Number(config.image_token_id ?? config.image_token_index);
    if (!Number.isInteger(imageTokenId)) throw new EmbeddedModelError('model_layout_unsupported', `${dir}: config.json has no image_token_id`);
    return new VlmInputs(processor, vision, embed, imageTokenId);
  }

  /** Ids of the rendered prompt with every `<image>` expanded, and the pixel tensors. */
  async prepare(text: string, images: readonly ImageInput[]): Promise<VlmPromptInputs> {
    if (images.length === 0) {
      const ids = this.processor.tokenizer!.encode(text, { add_special_tokens: false });
      return { ids, pixelValues: null, pixelMask: null };
    }
    const raw = await Promise.all(images.map(decodeImage));
    const out = (await this.processor(text, raw)) as Record<string, TjsTensor>;
    const ids = Array.from(out.input_ids!.data as ArrayLike<bigint>, (v) => Number(v));
    return { ids, pixelValues: toOrt(out.pixel_values!), pixelMask: toOrt(out.pixel_attention_mask!) };
  }

  /** Image features [frames, tokens per frame, hidden] in prompt order. */
  async imageFeatures(pixelValues: ort.Tensor, pixelMask: ort.Tensor): Promise<ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = { pixel_values: pixelValues };
    if (this.visionSession.inputNames.includes('pixel_attention_mask')) feeds.pixel_attention_mask = pixelMask;
    const out = await this.visionSession.run(feeds);
    return out.image_features ?? (out[this.visionSession.outputNames[0]!] as ort.Tensor);
  }

  /** inputs_embeds [1, n, hidden] for `ids`. */
  async embed(ids: ArrayLike<number>): Promise<ort.Tensor> {
    const data = new BigInt64Array(ids.length);
    for (let i = 0; i < ids.length; i++) data[i] = BigInt(ids[i]!);
    const out = await this.embedSession.run({ input_ids: new ort.Tensor('int64', data, [1, ids.length]) });
    return out.inputs_embeds ?? (out[this.embedSession.outputNames[0]!] as ort.Tensor);
  }

  /** Writes image features over the embeddings of the image-token positions (in place). */
  splice(embeds: ort.Tensor, ids: ArrayLike<number>, features: ort.Tensor): void {
    const hidden = embeds.dims[2]!;
    const dst = embeds.data as Float32Array | Uint16Array;
    const src = features.data as Float32Array | Uint16Array;
    if (dst.constructor !== src.constructor) throw new EmbeddedModelError('model_layout_unsupported', 'image features and token embeddings differ in dtype');
    let row = 0;
    const rows = src.length / hidden;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== this.imageTokenId) continue;
      if (row >= rows) throw new EmbeddedModelError('model_layout_unsupported', `more image tokens than image features (${rows})`);
      dst.set(src.subarray(row * hidden, (row + 1) * hidden), i * hidden);
      row++;
    }
    if (row !== rows) throw new EmbeddedModelError('model_layout_unsupported', `image tokens (${row}) and image features (${rows}) do not match`);
  }

  async release(): Promise<void> {
    await this.visionSession.release();
    await this.embedSession.release();
  }
}

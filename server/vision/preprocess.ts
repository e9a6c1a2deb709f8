import sharp, { type KernelEnum } from 'sharp';
import type { ImageInput } from '../../models/types.js';
import { decoderError, openImage, readPixels, type RgbPixels } from './decode.js';

/** Target size as Hugging Face image processors write it in preprocessor_config.json. */
export type ImageSizeSpec =
  | { height: number; width: number }
  | { shortest_edge: number; longest_edge?: number }
  | { longest_edge: number };

/** The subset of an HF / transformers.js image processor config that Duet applies. */
export interface ImagePreprocessorConfig {
  /** Default: true when `size` is given. */
  do_resize?: boolean;
  size?: ImageSizeSpec;
  /** PIL numbering: 0 nearest, 1 lanczos, 2 bilinear (default), 3 bicubic, 4 box, 5 hamming. */
  resample?: number;
  /** Default: true. */
  do_rescale?: boolean;
  /** Default: 1/255. */
  rescale_factor?: number;
  /** Default: true when both image_mean and image_std are given. */
  do_normalize?: boolean;
  image_mean?: number | number[];
  image_std?: number | number[];
  do_center_crop?: boolean;
  crop_size?: number | { height: number; width: number };
}

/** Float32 pixel values, channel-major: dims [3, height, width]. */
export interface ImageTensor {
  data: Float32Array;
  dims: [3, number, number];
}

// libvips has no box or hamming kernel; linear is the closest smooth downsampler.
const KERNELS: Record<number, keyof KernelEnum> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic', 4: 'linear', 5: 'linear' };

/** Output size of the resize step for an image of `width` x `height`, following HF's rounding. */
export function resizeTarget(width: number, height: number, size: ImageSizeSpec): { width: number; height: number } {
  if ('height' in size && 'width' in size) return { width: size.width, height: size.height };
  const landscape = width >= height;
  const [short, long] = landscape ? [height, width] : [width, height];
  let newShort: number;
  let newLong: number;
  if ('shortest_edge' in size) {
    // CLIP style: int() truncation, optional cap on the long side.
    newShort = size.shortest_edge;
    newLong = Math.floor((size.shortest_edge * long) / short);
    if (size.longest_edge !== undefined && newLong > size.longest_edge) {
      newShort = Math.floor((size.longest_edge * newShort) / newLong);
      newLong = size.longest_edge;
    }
  } else if ('longest_edge' in size) {
    // SAM style: scale the long side to the target, round the short side.
    newLong = size.longest_edge;
    newShort = Math.floor((short * size.longest_edge) / long + 0.5);
  } else {
    throw new Error(`unsupported size spec ${JSON.stringify(size)}`);
  }
  newShort = Math.max(1, newShort);
  return landscape ? { width: newLong, height: newShort } : { width: newShort, height: newLong };
}

function perChannel(value: number | number[] | undefined, fallback: number, name: string): [number, number, number] {
  if (value === undefined) return [fallback, fallback, fallback];
  if (typeof value === 'number') return [value, value, value];
  if (value.length === 1) return [value[0]!, value[0]!, value[0]!];
  if (value.length !== 3) throw new Error(`${name} must have 1 or 3 values, got ${value.length}`);
  return [value[0]!, value[1]!, value[2]!];
}

function cropSize(config: ImagePreprocessorConfig): { width: number; height: number } | undefined {
  if (!config.do_center_crop || config.crop_size === undefined) return undefined;
  return typeof config.crop_size === 'number' ? { width: config.crop_size, height: config.crop_size } : config.crop_size;
}

/**
 * Rescales, normalises and (optionally) centre-crops 8-bit RGB into a CHW tensor:
 * out = (p * rescale_factor - mean[c]) / std[c]. A crop larger than the image pads with p = 0, as HF does.
 */
export function toChwTensor(pixels: RgbPixels, config: ImagePreprocessorConfig): ImageTensor {
  const rescale = (config.do_rescale ?? true) ? (config.rescale_factor ?? 1 / 255) : 1;
  const normalize = config.do_normalize ?? (config.image_mean !== undefined && config.image_std !== undefined);
  const mean = normalize ? perChannel(config.image_mean, 0, 'image_mean') : [0, 0, 0];
  const std = normalize ? perChannel(config.image_std, 1, 'image_std') : [1, 1, 1];
  if (std.some((s) => s === 0)) throw new Error('image_std must not contain 0');
  const scale = std.map((s) => rescale / s);
  const offset = mean.map((m, c) => -m / std[c]!);

  const { width: srcW, height: srcH, data: src } = pixels;
  const crop = cropSize(config) ?? { width: srcW, height: srcH };
  const { width, height } = crop;
  const top = Math.floor((srcH - height) / 2);
  const left = Math.floor((srcW - width) / 2);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      const inside = sy >= 0 && sy < srcH && sx >= 0 && sx < srcW;
      const at = (sy * srcW + sx) * 3;
      for (let c = 0; c < 3; c++) {
        const p = inside ? src[at + c]! : 0;
        out[c * plane + y * width + x] = p * scale[c]! + offset[c]!;
      }
    }
  }
  return { data: out, dims: [3, height, width] };
}

function isImageInput(source: ImageInput | RgbPixels): source is ImageInput {
  return 'bytes' in source;
}

async function resized(source: ImageInput | RgbPixels, config: ImagePreprocessorConfig): Promise<RgbPixels> {
  const doResize = config.do_resize ?? config.size !== undefined;
  if (!doResize || config.size === undefined) return isImageInput(source) ? readPixels(source) : source;
  const target = resizeTarget(source.width, source.height, config.size);
  const kernel = KERNELS[config.resample ?? 2] ?? 'linear';
  const pipeline = isImageInput(source)
    ? openImage(source.bytes, source.width * source.height, { autoOrient: true }).removeAlpha().toColourspace('srgb')
    : sharp(source.data, { raw: { width: source.width, height: source.height, channels: 3 } });
  try {
    const { data, info } = await pipeline
      .resize(target.width, target.height, { fit: 'fill', kernel })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw decoderError(error, isImageInput(source) ? source.mimeType : 'image/png');
  }
}

/**
 * Decodes (when given an ImageInput), resizes, rescales, normalises and centre-crops an image
 * into the [3, H, W] float tensor a vision encoder takes. Resizing uses libvips, so values near
 * edges differ slightly from PIL's; normalisation is exact.
 */
export async function preprocessImage(source: ImageInput | RgbPixels, config: ImagePreprocessorConfig): Promise<ImageTensor> {
  return toChwTensor(await resized(source, config), config);
}

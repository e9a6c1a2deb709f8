import sharp, { type Sharp } from 'sharp';
import type { ImageInput } from '../../models/types.js';
import { decodeImageText } from './base64.js';
import { ImageError } from './errors.js';
import { readImageHeader, type ImageMimeType } from './header.js';

export interface ImageLimits {
  /** Largest encoded image accepted, in bytes (vision.maxImageBytes). */
  maxImageBytes: number;
  /** Largest width x height accepted (vision.maxImagePixels). */
  maxImagePixels: number;
}

export interface DecodeImageOptions extends ImageLimits {
  /** MIME type the client declared beside the data; a data URL declares its own. Both must match the bytes. */
  mimeType?: string;
  /** Capture time on the session clock, copied to the result. */
  capturedAtMs?: number;
  /**
   * 'full' (default) runs the decoder over the whole file once, so truncated or corrupt data is
   * refused here. 'header' checks format and size only (for frame rates where decoding every
   * frame is wasted); corrupt pixel data then surfaces as an ImageError from readPixels.
   */
  verify?: 'full' | 'header';
}

/** 8-bit RGB, interleaved row by row (HWC), EXIF orientation applied. */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

const MIME_ALIASES: Record<string, ImageMimeType> = {
  'image/jpeg': 'image/jpeg',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/png': 'image/png',
};

/** Maps a declared MIME type to an accepted one; anything else is unsupported. */
export function normalizeMimeType(declared: string): ImageMimeType {
  const mimeType = MIME_ALIASES[declared.split(';')[0]!.trim().toLowerCase()];
  if (!mimeType) throw new ImageError('unsupported_image_format', `image type ${declared} is not supported; send image/jpeg or image/png`);
  return mimeType;
}

function checkDeclared(declared: string | undefined, actual: ImageMimeType): void {
  if (declared === undefined) return;
  const expected = normalizeMimeType(declared);
  if (expected !== actual) throw new ImageError('invalid_image', `image declared as ${expected} but its bytes are ${actual}`);
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ImageError('image_too_large', `image is ${width}x${height} (${width * height} pixels); the limit is ${maxPixels} pixels`);
  }
}

/** A sharp pipeline over the encoded bytes that refuses more than `maxPixels` before allocating them. */
export function openImage(bytes: Uint8Array, maxPixels: number, options: { autoOrient?: boolean } = {}): Sharp {
  return sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, sequentialRead: true, autoOrient: options.autoOrient ?? false });
}

/** Turns a decoder failure into a stable ImageError. */
export function decoderError(error: unknown, mimeType: string): ImageError {
  if (error instanceof ImageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ImageError('image_too_large', `image exceeds the pixel limit (${message})`, { cause: error });
  return new ImageError('invalid_image', `corrupt ${mimeType === 'image/png' ? 'PNG' : 'JPEG'} data: ${message.trim()}`, { cause: error });
}

/**
 * Validates an image and returns it as an ImageInput, keeping the original encoded bytes.
 * `source` is base64 (plain or a data URL) or raw bytes. Order of checks: encoded size (estimated
 * from the base64 length before decoding it), magic bytes, declared type, pixel count from the
 * header, then (verify 'full') one decoder pass. Throws ImageError.
 */
export async function decodeImage(source: string | Uint8Array, options: DecodeImageOptions): Promise<ImageInput> {
  let bytes: Uint8Array;
  let urlMimeType: string | undefined;
  if (typeof source === 'string') {
    ({ bytes, declaredMimeType: urlMimeType } = decodeImageText(source, options.maxImageBytes));
  } else {
    if (source.length > options.maxImageBytes) {
      throw new ImageError('image_too_large', `image is ${source.length} bytes; the limit is ${options.maxImageBytes}`);
    }
    bytes = source;
  }
  // A declared type that is not JPEG/PNG is refused even before looking at the bytes.
  if (urlMimeType !== undefined) normalizeMimeType(urlMimeType);
  if (options.mimeType !== undefined) normalizeMimeType(options.mimeType);

  const header = readImageHeader(bytes);
  checkDeclared(urlMimeType, header.mimeType);
  checkDeclared(options.mimeType, header.mimeType);
  checkPixels(header.width, header.height, options.maxImagePixels);

  let width: number;
  let height: number;
  try {
    const metadata = await openImage(bytes, options.maxImagePixels).metadata();
    checkPixels(metadata.width, metadata.height, options.maxImagePixels);
    ({ width, height } = metadata.autoOrient);
    if ((options.verify ?? 'full') === 'full') {
      // Shrinking to 8x8 still reads every byte of entropy-coded data but keeps memory small.
      await openImage(bytes, options.maxImagePixels).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
    }
  } catch (error) {
    throw decoderError(error, header.mimeType);
  }
  const image: ImageInput = { mimeType: header.mimeType, bytes, width, height };
  if (options.capturedAtMs !== undefined) image.capturedAtMs = options.capturedAtMs;
  return image;
}

/** Decodes an ImageInput to 8-bit RGB (alpha dropped, grey expanded, EXIF orientation applied). */
export async function readPixels(image: ImageInput, maxPixels = image.width * image.height): Promise<RgbPixels> {
  try {
    const { data, info } = await openImage(image.bytes, maxPixels, { autoOrient: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new ImageError('invalid_image', `decoder produced ${info.channels} channels instead of 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw decoderError(error, image.mimeType);
  }
}

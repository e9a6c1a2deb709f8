import type { ImageInput } from '../../models/types.js';
import { ImageError } from './errors.js';

export type ImageMimeType = ImageInput['mimeType'];

/** Format and stored size, read from the first bytes without touching pixel data. */
export interface ImageHeader {
  mimeType: ImageMimeType;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/** Formats we recognise only to name them in the error message. */
const OTHER_FORMATS: { name: string; test: (b: Uint8Array) => boolean }[] = [
  { name: 'GIF', test: (b) => startsWith(b, ascii('GIF8')) },
  { name: 'WebP', test: (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8) },
  { name: 'BMP', test: (b) => startsWith(b, ascii('BM')) },
  { name: 'TIFF', test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]) },
  { name: 'HEIF/AVIF', test: (b) => startsWith(b, ascii('ftyp'), 4) },
];

/** The accepted format the magic bytes announce, or the name of another known format, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): ImageMimeType | { other: string } | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'image/png';
  const other = OTHER_FORMATS.find((format) => format.test(bytes));
  return other ? { other: other.name } : undefined;
}

function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function pngSize(bytes: Uint8Array): { width: number; height: number } {
  // Signature (8), then the IHDR chunk: length (4) = 13, type (4), width (4), height (4), ...
  if (bytes.length < 33 || readU32(bytes, 8) !== 13 || !startsWith(bytes, ascii('IHDR'), 12)) {
    throw new ImageError('invalid_image', 'PNG without a valid IHDR header');
  }
  return { width: readU32(bytes, 16), height: readU32(bytes, 20) };
}

/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageError('invalid_image', `corrupt JPEG: expected a marker at byte ${at}`);
    while (at < bytes.length && bytes[at] === 0xff) at++; // fill bytes
    if (at >= bytes.length) break;
    const marker = bytes[at++]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no payload
    if (marker === 0xd9 || marker === 0xda) {
      throw new ImageError('invalid_image', 'corrupt JPEG: image data before any frame header');
    }
    if (at + 2 > bytes.length) break;
    const length = readU16(bytes, at);
    if (length < 2) throw new ImageError('invalid_image', `corrupt JPEG: segment length ${length}`);
    if (isStartOfFrame(marker)) {
      if (at + 7 > bytes.length) break;
      const height = readU16(bytes, at + 3);
      const width = readU16(bytes, at + 5);
      if (height === 0) throw new ImageError('invalid_image', 'JPEG whose height is deferred to a DNL marker is not supported');
      return { width, height };
    }
    at += length;
  }
  throw new ImageError('invalid_image', 'truncated JPEG: no frame header');
}

/** Reads format and stored dimensions; throws ImageError for anything but a sane JPEG/PNG header. */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw new ImageError('invalid_image', 'empty image data');
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    throw new ImageError('unsupported_image_format', 'not a JPEG or PNG image (unrecognised signature)');
  }
  if (typeof format === 'object') {
    throw new ImageError('unsupported_image_format', `${format.other} images are not supported; send JPEG or PNG`);
  }
  const { width, height } = format === 'image/png' ? pngSize(bytes) : jpegSize(bytes);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new ImageError('invalid_image', `image header gives an impossible size ${width}x${height}`);
  }
  return { mimeType: format, width, height };
}

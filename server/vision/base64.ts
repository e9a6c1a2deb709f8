import { ImageError } from './errors.js';

/** An image given as text: plain base64 or a `data:image/...;base64,` URL. */
export interface ImageText {
  /** MIME type named by the data URL, lower-cased, without parameters. */
  declaredMimeType: string | undefined;
  /** The base64 payload (may still contain whitespace). */
  payload: string;
}

/** Splits a data URL into its declared type and payload; plain base64 passes through. */
export function parseImageText(text: string): ImageText {
  if (!text.startsWith('data:')) return { declaredMimeType: undefined, payload: text };
  const comma = text.indexOf(',');
  if (comma < 0) throw new ImageError('invalid_image', 'malformed data URL: no comma before the data');
  const header = text.slice(5, comma).split(';').map((part) => part.trim().toLowerCase());
  if (!header.slice(1).includes('base64')) {
    throw new ImageError('invalid_image', 'data URL images must be base64-encoded (`;base64,`)');
  }
  const mediaType = header[0] ?? '';
  return { declaredMimeType: mediaType === '' ? undefined : mediaType, payload: text.slice(comma + 1) };
}

function isBase64Char(code: number): boolean {
  return (
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    (code >= 48 && code <= 57) || // 0-9
    code === 43 || code === 47 || // + /
    code === 45 || code === 95 // - _ (base64url)
  );
}

function isWhitespace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/**
 * Checks the alphabet and padding and returns the decoded size, without decoding.
 * One pass, no allocation, so an oversized payload is refused before any buffer exists.
 */
export function measureBase64(payload: string): number {
  let dataChars = 0;
  let padding = 0;
  for (let i = 0; i < payload.length; i++) {
    const code = payload.charCodeAt(i);
    if (isWhitespace(code)) continue;
    if (code === 61 /* = */) {
      padding++;
      continue;
    }
    if (padding > 0 || !isBase64Char(code)) {
      throw new ImageError('invalid_image', `invalid base64: unexpected character at offset ${i}`);
    }
    dataChars++;
  }
  if (dataChars % 4 === 1 || padding > 2 || (padding > 0 && (dataChars + padding) % 4 !== 0)) {
    throw new ImageError('invalid_image', 'invalid base64: wrong length or padding');
  }
  return Math.floor((dataChars * 3) / 4);
}

/**
 * Decodes base64 (plain or data URL) after checking that the result fits `maxBytes`.
 * Returns the bytes and the MIME type the data URL declared, if any.
 */
export function decodeImageText(text: string, maxBytes: number): { bytes: Uint8Array; declaredMimeType: string | undefined } {
  const { declaredMimeType, payload } = parseImageText(text);
  const size = measureBase64(payload);
  if (size === 0) throw new ImageError('invalid_image', 'empty image data');
  if (size > maxBytes) {
    throw new ImageError('image_too_large', `image is ${size} bytes; the limit is ${maxBytes}`);
  }
  return { bytes: Buffer.from(payload, 'base64'), declaredMimeType };
}

import type { ImageErrorCode } from '../../protocol/errors.js';

/**
 * Errors of the image front-end. Each code is a row of the one error table (protocol/errors.ts);
 * the session turns an ImageError into an `error` event and keeps going.
 */
export type { ImageErrorCode };

export class ImageError extends Error {
  override name = 'ImageError';
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isImageError(value: unknown): value is ImageError {
  return value instanceof ImageError;
}

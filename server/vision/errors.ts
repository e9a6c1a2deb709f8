/**
 * Errors of the image front-end. Each code is stable (clients match on it) and never reused;
 * the session turns an ImageError into an `error` event and keeps going.
 */
export const IMAGE_ERROR_CODES = {
  invalid_image: 'The data is not a readable image: bad base64, a malformed data URL, a corrupt or truncated file, or a declared type that does not match the bytes.',
  image_too_large: 'The image exceeds vision.maxImageBytes (encoded size) or vision.maxImagePixels (width x height from its header).',
  unsupported_image_format: 'Only JPEG and PNG are accepted (by magic bytes and by declared MIME type).',
} as const;

export type ImageErrorCode = keyof typeof IMAGE_ERROR_CODES;

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

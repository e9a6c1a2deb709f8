// The embedded backend's errors; their codes are rows of the one error table (protocol/errors.ts).
import type { EmbeddedErrorCode } from '../../protocol/errors.js';

export type { EmbeddedErrorCode };

export class EmbeddedModelError extends Error {
  override name = 'EmbeddedModelError';
  readonly code: EmbeddedErrorCode;

  constructor(code: EmbeddedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isEmbeddedModelError(err: unknown): err is EmbeddedModelError {
  return err instanceof Error && (err as { name?: string }).name === 'EmbeddedModelError' && typeof (err as { code?: unknown }).code === 'string';
}

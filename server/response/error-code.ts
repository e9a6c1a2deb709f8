import { ERROR_CODES, ProtocolError, type ErrorCode } from '../../protocol/errors.js';

/** Maps any thrown error to a documented code: model backends throw errors with a `code` from the table. */
export function errorCodeOf(err: unknown): ErrorCode {
  if (err instanceof ProtocolError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in ERROR_CODES) return code as ErrorCode;
  return 'model_error';
}

import { ERROR_CODES, ProtocolError, isErrorCode, type ErrorCode, type ErrorSpec } from '../../protocol/errors.js';

/** Maps any thrown error to a documented code: model backends throw errors with a `code` from the table. */
export function errorCodeOf(err: unknown): ErrorCode {
  if (err instanceof ProtocolError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  // Load-time codes are never sent: at run time the same failure is a model error.
  if (isErrorCode(code) && !(ERROR_CODES[code] as ErrorSpec).loadOnly) return code;
  return 'model_error';
}

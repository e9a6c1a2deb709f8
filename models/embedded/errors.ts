// One table of the embedded backend's failure codes; codes are never reused.

export const EMBEDDED_ERROR_CODES = {
  model_not_found: 'The configured model directory (or hub id under models.cacheDir) does not exist or lacks config.json.',
  model_layout_unsupported: 'The directory is not a layout this backend runs (decoder-only LLM, Idefics3/SmolVLM, Whisper), or an ONNX file is missing.',
  state_tokens_invalid: 'The configured state-token strings are not three distinct first tokens in this tokenizer.',
  transcript_required: 'A text model cannot classify or answer speech without its transcript (configure models.asr).',
  prompt_too_long: 'The query alone (after dropping all history) does not fit the model context with room for the answer.',
  image_invalid: 'An attached image could not be decoded.',
  worker_failed: 'The inference worker thread stopped or failed.',
} as const;

export type EmbeddedErrorCode = keyof typeof EMBEDDED_ERROR_CODES;

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

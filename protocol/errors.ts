// The one table of Duet's error codes: those sent in `error` events, and those model backends
// raise while loading (logged and reported in /readyz, never sent). Remote engines, the image
// front-end and the embedded backend throw errors whose `code` is a key of this table. Codes are
// stable and never reused; protocol/README.md documents each one (a test checks it).

export type ErrorType = 'invalid_request_error' | 'server_error' | 'rate_limit_error' | 'authentication_error';

export interface ErrorSpec {
  type: ErrorType;
  /** Does the WebSocket stay open after this error? */
  keepsOpen: boolean;
  meaning: string;
  /** Raised only while loading models (logged, in /readyz): never sent in an `error` event. */
  loadOnly?: true;
}

export const ERROR_CODES = {
  invalid_json: { type: 'invalid_request_error', keepsOpen: true, meaning: 'A text frame was not valid JSON.' },
  invalid_event: { type: 'invalid_request_error', keepsOpen: true, meaning: 'The JSON was not an object with a string `type`.' },
  unknown_event_type: { type: 'invalid_request_error', keepsOpen: true, meaning: 'The event `type` is not one Duet accepts.' },
  invalid_value: { type: 'invalid_request_error', keepsOpen: true, meaning: 'A field is missing, has the wrong type or an out-of-range value (`param` names it).' },
  unsupported_value: { type: 'invalid_request_error', keepsOpen: true, meaning: 'A valid value Duet does not support (e.g. an unknown voice or audio format).' },
  message_too_large: {
    type: 'invalid_request_error',
    keepsOpen: true,
    meaning: 'A WebSocket message exceeded `limits.maxMessageBytes`, or its event type\'s budget (`limits.maxControlMessageBytes`, `limits.maxTextItemBytes`), decided before parsing; it was dropped.',
  },
  message_too_complex: {
    type: 'invalid_request_error',
    keepsOpen: true,
    meaning: 'A text message nested deeper than 32 levels, or with more JSON structure (bytes outside strings) than `limits.maxControlMessageBytes`; dropped before parsing.',
  },
  conversation_too_large: {
    type: 'invalid_request_error',
    keepsOpen: true,
    meaning: 'An item larger than `limits.maxSessionHeldBytes` on its own, or the server\'s conversations are at `limits.maxServerHeldBytes` and this session has no older items left to drop; the item was not added.',
  },
  invalid_base64: { type: 'invalid_request_error', keepsOpen: true, meaning: 'A base64 field did not decode.' },
  invalid_audio: { type: 'invalid_request_error', keepsOpen: true, meaning: 'Audio bytes do not fit the input format (e.g. PCM16 with an odd byte count).' },
  invalid_image: { type: 'invalid_request_error', keepsOpen: true, meaning: 'An image could not be decoded.' },
  image_too_large: { type: 'invalid_request_error', keepsOpen: true, meaning: 'An image exceeds `vision.maxImageBytes` or `vision.maxImagePixels`.' },
  unsupported_image_format: { type: 'invalid_request_error', keepsOpen: true, meaning: 'An image is not JPEG or PNG.' },
  input_audio_buffer_commit_empty: { type: 'invalid_request_error', keepsOpen: true, meaning: '`input_audio_buffer.commit` with less than 100 ms of audio buffered.' },
  item_not_found: { type: 'invalid_request_error', keepsOpen: true, meaning: 'An event referred to a conversation item that does not exist.' },
  invalid_truncate: { type: 'invalid_request_error', keepsOpen: true, meaning: '`conversation.item.truncate` on an item that is not an assistant audio message, or past its end.' },
  response_cancel_not_active: { type: 'invalid_request_error', keepsOpen: true, meaning: '`response.cancel` with no response in progress (harmless; clients send it redundantly).' },
  model_unavailable: { type: 'server_error', keepsOpen: true, meaning: 'No model is loaded for what the request needs (generator, vision, ASR); `/readyz` says which.' },
  rate_limited: { type: 'rate_limit_error', keepsOpen: true, meaning: 'The session sent events, bytes or audio faster than `limits.*PerSecond`; the event was dropped.' },
  // Remote engines (models/remote): the response failed, the next turn retries.
  engine_unavailable: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine could not be reached (connection refused or reset before a response, DNS failure, connect timeout) or answered 502/503/504 on every attempt.' },
  engine_timeout: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine accepted the request but sent no first token, or fell silent between chunks, for longer than the configured timeout.' },
  engine_rate_limited: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine answered 429 on every attempt, or asked to wait longer (Retry-After) than Duet is willing to.' },
  engine_error: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine answered another 5xx on every attempt, or reported an error inside the stream; the partial answer is kept, never replayed.' },
  engine_rejected: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine refused the request with a 4xx other than 429 (bad request, context too long, auth, unknown model).' },
  engine_disconnected: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine closed the connection in the middle of a response; the partial answer is kept, never replayed.' },
  engine_protocol_error: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine\'s reply does not follow the OpenAI wire format (bad JSON, missing fields, unexpected content type).' },
  // Embedded models (models/embedded).
  model_error: { type: 'server_error', keepsOpen: true, meaning: 'An embedded model failed while running (or its inference worker stopped); the response failed.' },
  prompt_too_long: { type: 'invalid_request_error', keepsOpen: true, meaning: 'The query alone (after dropping all history) does not fit the embedded model\'s context with room for the answer.' },
  transcript_required: { type: 'server_error', keepsOpen: true, meaning: 'A text-only chat model cannot classify or answer speech without its transcript: configure `models.asr`.' },
  model_not_found: { type: 'server_error', keepsOpen: true, loadOnly: true, meaning: 'The configured model directory (or hub id under models.cacheDir) does not exist or lacks config.json.' },
  model_layout_unsupported: { type: 'server_error', keepsOpen: true, loadOnly: true, meaning: 'The directory is not a layout the embedded backend runs (decoder-only LLM, Idefics3/SmolVLM, Whisper), or an ONNX file is missing.' },
  state_tokens_invalid: { type: 'server_error', keepsOpen: true, loadOnly: true, meaning: 'The configured state-token strings are not three distinct first tokens in the model\'s tokenizer.' },
  invalid_api_key: { type: 'authentication_error', keepsOpen: false, meaning: 'Missing or wrong API key (`auth.apiKeys`): HTTP 401 before the upgrade, so no socket is opened.' },
  server_busy: { type: 'server_error', keepsOpen: false, meaning: 'The server is at `limits.maxSessions`, its conversations hold `limits.maxServerHeldBytes`, or it is draining; try another server or later.' },
  slow_consumer: { type: 'server_error', keepsOpen: false, meaning: 'The client stopped reading and its send queue passed `limits.sendQueueBytes`; the session was closed.' },
  idle_timeout: { type: 'invalid_request_error', keepsOpen: false, meaning: 'Nothing received for `limits.idleTimeoutMs`; the session was closed.' },
  internal_error: { type: 'server_error', keepsOpen: true, meaning: 'A bug in Duet; the event was dropped and the session goes on (logged with the session id).' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
/** Codes remote engines raise. */
export type RemoteErrorCode = Extract<ErrorCode, `engine_${string}`>;
/** Codes the image front-end raises. */
export type ImageErrorCode = Extract<ErrorCode, 'invalid_image' | 'image_too_large' | 'unsupported_image_format'>;
/** Codes the embedded backend raises (worker failures surface as model_error). */
export type EmbeddedErrorCode = Extract<ErrorCode, 'model_error' | 'prompt_too_long' | 'transcript_required' | 'model_not_found' | 'model_layout_unsupported' | 'state_tokens_invalid' | 'invalid_image'>;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The codes whose names start with `prefix` (e.g. `engine_`). */
export function errorCodesWithPrefix(prefix: string): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => code.startsWith(prefix));
}

/** An error that becomes one `error` event. Throw it from any event handler. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

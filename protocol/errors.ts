// The one table of error codes Duet sends in `error` events. Codes are stable and
// never reused; protocol/README.md documents each one (a test checks it).

export type ErrorType = 'invalid_request_error' | 'server_error' | 'rate_limit_error' | 'authentication_error';

export interface ErrorSpec {
  type: ErrorType;
  /** Does the WebSocket stay open after this error? */
  keepsOpen: boolean;
  meaning: string;
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
  response_already_active: { type: 'invalid_request_error', keepsOpen: true, meaning: '`response.create` while a response is in progress and the new one may not interrupt it (out-of-band responses are not supported).' },
  response_cancel_not_active: { type: 'invalid_request_error', keepsOpen: true, meaning: '`response.cancel` with no response in progress (harmless; clients send it redundantly).' },
  model_unavailable: { type: 'server_error', keepsOpen: true, meaning: 'No model is loaded for what the request needs (generator, vision, ASR); `/readyz` says which.' },
  rate_limited: { type: 'rate_limit_error', keepsOpen: true, meaning: 'The session sent events, bytes or audio faster than `limits.*PerSecond`; the event was dropped.' },
  engine_unavailable: { type: 'server_error', keepsOpen: true, meaning: 'A remote model engine could not be reached; the response failed, the next turn retries.' },
  engine_timeout: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine did not answer in time.' },
  engine_rate_limited: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine kept answering 429 after bounded retries.' },
  engine_error: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine answered an error or died mid-stream; the partial answer is kept, never replayed.' },
  engine_rejected: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine refused the request (a 4xx other than 429: context too long, unknown model, auth).' },
  engine_disconnected: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine closed the stream mid-answer; the partial answer is kept, never replayed.' },
  engine_protocol_error: { type: 'server_error', keepsOpen: true, meaning: 'A remote engine sent a malformed stream.' },
  model_error: { type: 'server_error', keepsOpen: true, meaning: 'An embedded model failed while running; the response failed.' },
  server_busy: { type: 'server_error', keepsOpen: false, meaning: 'The server is at `limits.maxSessions`, its conversations hold `limits.maxServerHeldBytes`, or it is draining; try another server or later.' },
  slow_consumer: { type: 'server_error', keepsOpen: false, meaning: 'The client stopped reading and its send queue passed `limits.sendQueueBytes`; the session was closed.' },
  idle_timeout: { type: 'invalid_request_error', keepsOpen: false, meaning: 'Nothing received for `limits.idleTimeoutMs`; the session was closed.' },
  internal_error: { type: 'server_error', keepsOpen: true, meaning: 'A bug in Duet; the event was dropped and the session goes on (logged with the session id).' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

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

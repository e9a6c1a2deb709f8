import { Type, type Static } from '@sinclair/typebox';

export const LimitsSection = Type.Object(
  {
    maxSessions: Type.Integer({ minimum: 1, default: 100, description: 'Concurrent sessions; more get a `server_busy` error and are closed.' }),
    maxMessageBytes: Type.Integer({
      minimum: 1024,
      default: 6 << 20,
      description: 'Largest accepted WebSocket message (text or binary; a 4 MiB image is ~5.4 MiB as base64). Larger ones get `message_too_large` and the socket stays open; past twice this the socket is closed (1009).',
    }),
    maxInputAudioSecondsPerSecond: Type.Number({
      exclusiveMinimum: 0,
      default: 4,
      description: 'Input audio a session may send per second of wall time, averaged over a 5 s window (4 = four times real time).',
    }),
    maxEventsPerSecond: Type.Integer({ minimum: 1, default: 400, description: 'Client events per second per session, averaged over a 5 s window.' }),
    idleTimeoutMs: Type.Integer({ minimum: 0, default: 300000, description: 'Close a session that sent nothing for this long (0: never).' }),
    sendQueueBytes: Type.Integer({
      minimum: 65536,
      default: 16 << 20,
      description:
        'Bytes queued to a client that does not read; past it the session is closed with `slow_consumer`. Must be at least twice `maxMessageBytes` plus 64 KiB, so that echoing an accepted message can never trip it.',
    }),
    maxControlMessageBytes: Type.Integer({
      minimum: 1024,
      default: 64 << 10,
      description:
        'Largest message for every event except `input_audio_buffer.append`, `duet.input_image.append` and `conversation.item.create` (decided from a scan of the raw frame, before JSON parsing); also the most JSON structure (bytes outside strings) any message may have.',
    }),
    maxTextItemBytes: Type.Integer({
      minimum: 1024,
      default: 1 << 20,
      description: 'Largest `conversation.item.create` that holds no image or audio (ones with media may reach `maxMessageBytes`).',
    }),
    maxInputBytesPerSecond: Type.Integer({
      minimum: 1024,
      default: 4 << 20,
      description: 'Bytes a session may send per second (text and binary frames), averaged over a 5 s window; past it messages are dropped with `rate_limited`.',
    }),
    maxSessionHeldBytes: Type.Integer({
      minimum: 65536,
      default: 64 << 20,
      description:
        'Bytes one conversation may hold (text at 2 bytes a character, images, audio segments kept for history); past it the oldest items are dropped, and an item larger than this alone is refused with `conversation_too_large`.',
    }),
    maxServerHeldBytes: Type.Integer({
      minimum: 65536,
      default: 1 << 30,
      description:
        'Bytes all conversations of the server may hold together. A new session is admitted only while a full conversation (`maxSessionHeldBytes`) still fits (else `server_busy`); a session adding an item past it first drops its own oldest items (`conversation_too_large` when it has none left to drop).',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** Send-queue headroom over two messages: the other events of the same tick. */
export const SEND_QUEUE_MARGIN_BYTES = 64 << 10;

/** Rules between limits that the schema cannot say; one line per broken rule. */
export function limitsProblems(limits: Static<typeof LimitsSection>): string[] {
  const problems: string[] = [];
  // conversation.item.create is echoed twice (added, done) in one tick: an accepted message must fit twice.
  const needed = 2 * limits.maxMessageBytes + SEND_QUEUE_MARGIN_BYTES;
  if (limits.sendQueueBytes < needed) problems.push(`limits.sendQueueBytes: must be at least 2 * limits.maxMessageBytes + ${SEND_QUEUE_MARGIN_BYTES} (${needed}) (got ${limits.sendQueueBytes})`);
  // A session is admitted only while a whole conversation still fits in the server's total.
  if (limits.maxSessionHeldBytes > limits.maxServerHeldBytes) {
    problems.push(`limits.maxSessionHeldBytes: must not exceed limits.maxServerHeldBytes (${limits.maxServerHeldBytes}) (got ${limits.maxSessionHeldBytes})`);
  }
  return problems;
}

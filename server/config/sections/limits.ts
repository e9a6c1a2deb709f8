import { Type } from '@sinclair/typebox';

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
      default: 8 << 20,
      description: 'Bytes queued to a client that does not read; past it the session is closed with `slow_consumer`.',
    }),
  },
  { additionalProperties: false, default: {} },
);

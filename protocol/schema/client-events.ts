import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { AudioFormat, Prompt, Reasoning, SessionUpdate, Tool, ToolChoice } from './session.js';
import { ItemCreate } from './items.js';

// Every event a client may send, defined once. Types derive from these schemas.

function clientEvent<T extends string, P extends TProperties>(type: T, props: P) {
  return Type.Object(
    { type: Type.Literal(type), event_id: Type.Optional(Type.String({ maxLength: 128 })), ...props },
    { additionalProperties: false },
  );
}

const ResponseParams = Type.Object(
  {
    instructions: Type.Optional(Type.String({ maxLength: 65536 })),
    output_modalities: Type.Optional(Type.Array(Type.Union([Type.Literal('text'), Type.Literal('audio')]), { minItems: 1, maxItems: 2 })),
    modalities: Type.Optional(Type.Array(Type.Union([Type.Literal('text'), Type.Literal('audio')]), { minItems: 1, maxItems: 2 })),
    max_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 4096 }), Type.Literal('inf')])),
    max_response_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 4096 }), Type.Literal('inf')])),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    voice: Type.Optional(Type.String()),
    audio: Type.Optional(
      Type.Object(
        { output: Type.Optional(Type.Object({ voice: Type.Optional(Type.String()), format: Type.Optional(AudioFormat) }, { additionalProperties: false })) },
        { additionalProperties: false },
      ),
    ),
    // Validated here, refused in handlers/responses.ts with a clear `unsupported_value`: Duet has
    // one conversation per session and no out-of-band responses.
    conversation: Type.Optional(Type.String()),
    input: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 256 })),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
    tools: Type.Optional(Type.Array(Tool, { maxItems: 128 })),
    tool_choice: Type.Optional(ToolChoice),
    parallel_tool_calls: Type.Optional(Type.Boolean()),
    reasoning: Type.Optional(Reasoning),
    prompt: Type.Optional(Prompt),
  },
  { additionalProperties: false },
);

export const ClientEventSchemas = {
  'session.update': clientEvent('session.update', { session: SessionUpdate }),
  'input_audio_buffer.append': clientEvent('input_audio_buffer.append', { audio: Type.String() }),
  'input_audio_buffer.commit': clientEvent('input_audio_buffer.commit', {}),
  'input_audio_buffer.clear': clientEvent('input_audio_buffer.clear', {}),
  'conversation.item.create': clientEvent('conversation.item.create', {
    previous_item_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    item: ItemCreate,
  }),
  'conversation.item.truncate': clientEvent('conversation.item.truncate', {
    item_id: Type.String({ minLength: 1 }),
    content_index: Type.Integer({ minimum: 0 }),
    audio_end_ms: Type.Integer({ minimum: 0 }),
  }),
  'conversation.item.delete': clientEvent('conversation.item.delete', { item_id: Type.String({ minLength: 1 }) }),
  'conversation.item.retrieve': clientEvent('conversation.item.retrieve', { item_id: Type.String({ minLength: 1 }) }),
  /** OpenAI: WebRTC/SIP only. Over this WebSocket Duet answers a non-fatal `unsupported_value` (handlers/responses.ts). */
  'output_audio_buffer.clear': clientEvent('output_audio_buffer.clear', {}),
  'response.create': clientEvent('response.create', { response: Type.Optional(ResponseParams) }),
  'response.cancel': clientEvent('response.cancel', { response_id: Type.Optional(Type.String()) }),
  /** Duet extension: one camera frame or image; `binary: true` announces that the next binary frame is the image. */
  'duet.input_image.append': clientEvent('duet.input_image.append', {
    image: Type.Optional(Type.String({ description: 'base64 or data URL' })),
    binary: Type.Optional(Type.Literal(true)),
    mime_type: Type.Optional(Type.Union([Type.Literal('image/jpeg'), Type.Literal('image/png')])),
  }),
} satisfies Record<string, TObject>;

export type ClientEventType = keyof typeof ClientEventSchemas;
export type ClientEvent<K extends ClientEventType = ClientEventType> = { [T in K]: Static<(typeof ClientEventSchemas)[T]> }[K];
export type ResponseParams = Static<typeof ResponseParams>;

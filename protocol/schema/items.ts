import { Type, type Static } from '@sinclair/typebox';

// Conversation items: what clients create and what the server reports.

export const InputContent = Type.Union([
  Type.Object({ type: Type.Literal('input_text'), text: Type.String({ maxLength: 100000 }) }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('input_image'),
      image_url: Type.String({ minLength: 1, description: 'data:image/jpeg|png;base64,... URL' }),
      detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('input_audio'), audio: Type.Optional(Type.String()), transcript: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  // Assistant history a client replays ('text' is the beta name).
  Type.Object({ type: Type.Union([Type.Literal('output_text'), Type.Literal('text')]), text: Type.String({ maxLength: 100000 }) }, { additionalProperties: false }),
]);

export const ItemCreate = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    type: Type.Literal('message'),
    object: Type.Optional(Type.Literal('realtime.item')),
    role: Type.Union([Type.Literal('user'), Type.Literal('system'), Type.Literal('assistant')]),
    status: Type.Optional(Type.String()),
    content: Type.Array(InputContent, { minItems: 1, maxItems: 32 }),
  },
  { additionalProperties: false },
);
export type ItemCreate = Static<typeof ItemCreate>;

/** Content as the server reports it (audio bytes are never echoed back). */
export const ItemContent = Type.Union([
  Type.Object({ type: Type.Literal('input_text'), text: Type.String() }),
  Type.Object({ type: Type.Literal('input_image'), image_url: Type.String() }),
  Type.Object({ type: Type.Literal('input_audio'), transcript: Type.Union([Type.String(), Type.Null()]) }),
  Type.Object({ type: Type.Literal('output_text'), text: Type.String() }),
  Type.Object({ type: Type.Literal('output_audio'), transcript: Type.String() }),
]);
export type ItemContent = Static<typeof ItemContent>;

export const Item = Type.Object({
  id: Type.String(),
  object: Type.Literal('realtime.item'),
  type: Type.Literal('message'),
  role: Type.Union([Type.Literal('user'), Type.Literal('system'), Type.Literal('assistant')]),
  status: Type.Union([Type.Literal('completed'), Type.Literal('in_progress'), Type.Literal('incomplete')]),
  content: Type.Array(ItemContent),
});
export type Item = Static<typeof Item>;

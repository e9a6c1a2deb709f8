import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { SessionObject } from './session.js';
import { Item, ItemContent } from './items.js';

// Every event the server sends, defined once. `event_id` is added by the sender.

function serverEvent<T extends string, P extends TProperties>(type: T, props: P) {
  return Type.Object({ type: Type.Literal(type), event_id: Type.String(), ...props });
}

const Usage = Type.Object({
  total_tokens: Type.Integer(),
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
});

/** Models the server is downloading or loading in the background (first start). */
const ModelProvisioning = Type.Object({
  state: Type.Union(['downloading', 'loading', 'done'].map((s) => Type.Literal(s))),
  models: Type.Array(
    Type.Object({
      role: Type.Union([Type.Literal('chat'), Type.Literal('asr')]),
      model: Type.String(),
      dtype: Type.String(),
      state: Type.Union(['waiting', 'downloading', 'downloaded', 'loading', 'ready', 'failed'].map((s) => Type.Literal(s))),
      received_bytes: Type.Number(),
      total_bytes: Type.Union([Type.Number(), Type.Null()]),
      error: Type.Optional(Type.String()),
    }),
  ),
});

export const ResponseObject = Type.Object({
  id: Type.String(),
  object: Type.Literal('realtime.response'),
  status: Type.Union(['in_progress', 'completed', 'cancelled', 'failed', 'incomplete'].map((s) => Type.Literal(s))),
  status_details: Type.Union([
    Type.Null(),
    Type.Object({
      type: Type.String(),
      reason: Type.Optional(Type.String()),
      error: Type.Optional(Type.Object({ type: Type.String(), code: Type.String(), message: Type.String() })),
    }),
  ]),
  output: Type.Array(Item),
  output_modalities: Type.Array(Type.String()),
  usage: Type.Union([Usage, Type.Null()]),
  /** Duet extension: latency figures of this response. */
  duet: Type.Optional(
    Type.Object({
      first_token_ms: Type.Union([Type.Number(), Type.Null()]),
      tokens_per_second: Type.Union([Type.Number(), Type.Null()]),
      generator: Type.Optional(Type.String()),
    }),
  ),
});
export type ResponseObject = Static<typeof ResponseObject>;

const ItemRef = { item_id: Type.String() };
const PartRef = { response_id: Type.String(), item_id: Type.String(), output_index: Type.Integer(), content_index: Type.Integer() };
const Probabilities = Type.Object({ '<1>': Type.Number(), '<2>': Type.Number(), '<3>': Type.Number(), '<4>': Type.Optional(Type.Number()) });

export const ServerEventSchemas = {
  error: serverEvent('error', {
    error: Type.Object({
      type: Type.String(),
      code: Type.String(),
      message: Type.String(),
      param: Type.Union([Type.String(), Type.Null()]),
      event_id: Type.Union([Type.String(), Type.Null()]),
    }),
  }),
  'session.created': serverEvent('session.created', { session: SessionObject }),
  'session.updated': serverEvent('session.updated', { session: SessionObject }),
  'input_audio_buffer.speech_started': serverEvent('input_audio_buffer.speech_started', { audio_start_ms: Type.Number(), ...ItemRef }),
  'input_audio_buffer.speech_stopped': serverEvent('input_audio_buffer.speech_stopped', { audio_end_ms: Type.Number(), ...ItemRef }),
  'input_audio_buffer.committed': serverEvent('input_audio_buffer.committed', { previous_item_id: Type.Union([Type.String(), Type.Null()]), ...ItemRef }),
  'input_audio_buffer.cleared': serverEvent('input_audio_buffer.cleared', {}),
  'conversation.item.added': serverEvent('conversation.item.added', { previous_item_id: Type.Union([Type.String(), Type.Null()]), item: Item }),
  'conversation.item.done': serverEvent('conversation.item.done', { previous_item_id: Type.Union([Type.String(), Type.Null()]), item: Item }),
  'conversation.item.truncated': serverEvent('conversation.item.truncated', { ...ItemRef, content_index: Type.Integer(), audio_end_ms: Type.Number() }),
  'conversation.item.deleted': serverEvent('conversation.item.deleted', ItemRef),
  'conversation.item.retrieved': serverEvent('conversation.item.retrieved', { item: Item }),
  'conversation.item.input_audio_transcription.delta': serverEvent('conversation.item.input_audio_transcription.delta', { ...ItemRef, content_index: Type.Integer(), delta: Type.String() }),
  'conversation.item.input_audio_transcription.completed': serverEvent('conversation.item.input_audio_transcription.completed', { ...ItemRef, content_index: Type.Integer(), transcript: Type.String() }),
  'response.created': serverEvent('response.created', { response: ResponseObject }),
  'response.done': serverEvent('response.done', { response: ResponseObject }),
  'response.output_item.added': serverEvent('response.output_item.added', { response_id: Type.String(), output_index: Type.Integer(), item: Item }),
  'response.output_item.done': serverEvent('response.output_item.done', { response_id: Type.String(), output_index: Type.Integer(), item: Item }),
  'response.content_part.added': serverEvent('response.content_part.added', { ...PartRef, part: ItemContent }),
  'response.content_part.done': serverEvent('response.content_part.done', { ...PartRef, part: ItemContent }),
  'response.output_text.delta': serverEvent('response.output_text.delta', { ...PartRef, delta: Type.String() }),
  'response.output_text.done': serverEvent('response.output_text.done', { ...PartRef, text: Type.String() }),
  'response.output_audio.delta': serverEvent('response.output_audio.delta', { ...PartRef, delta: Type.String() }),
  'response.output_audio.done': serverEvent('response.output_audio.done', PartRef),
  'response.output_audio_transcript.delta': serverEvent('response.output_audio_transcript.delta', { ...PartRef, delta: Type.String() }),
  'response.output_audio_transcript.done': serverEvent('response.output_audio_transcript.done', { ...PartRef, transcript: Type.String() }),
  'rate_limits.updated': serverEvent('rate_limits.updated', {
    rate_limits: Type.Array(Type.Object({ name: Type.String(), limit: Type.Number(), remaining: Type.Number(), reset_seconds: Type.Number() })),
  }),
  // Duet extensions.
  'duet.monitor.state': serverEvent('duet.monitor.state', {
    item_id: Type.Union([Type.String(), Type.Null()]),
    state: Type.Union([Type.Literal('<1>'), Type.Literal('<2>'), Type.Literal('<3>'), Type.Literal('<4>')]),
    probabilities: Probabilities,
    elapsed_ms: Type.Number(),
    action: Type.Union(['answer', 'interrupt', 'resume', 'ignore', 'wait'].map((a) => Type.Literal(a))),
    reason: Type.Optional(Type.String()),
  }),
  'duet.response.paused': serverEvent('duet.response.paused', { response_id: Type.String(), audio_start_ms: Type.Number(), tentative: Type.Boolean() }),
  'duet.response.ducked': serverEvent('duet.response.ducked', { response_id: Type.String(), audio_start_ms: Type.Number(), gain_db: Type.Number(), tentative: Type.Boolean() }),
  'duet.response.resumed': serverEvent('duet.response.resumed', { response_id: Type.String(), reason: Type.String(), buffered_audio_ms: Type.Optional(Type.Number()) }),
  'duet.turn.held': serverEvent('duet.turn.held', {
    item_id: Type.String(),
    source: Type.Union([Type.Literal('model'), Type.Literal('monitor')]),
    probability: Type.Number(),
    hold_ms: Type.Number(),
  }),
  'duet.turn.merged': serverEvent('duet.turn.merged', { item_id: Type.String(), merged_item_ids: Type.Array(Type.String()), transcript: Type.Union([Type.String(), Type.Null()]) }),
  'duet.roles.swapped': serverEvent('duet.roles.swapped', { generator: Type.String(), monitor: Type.String() }),
  'duet.output_audio.clear': serverEvent('duet.output_audio.clear', { response_id: Type.String(), stale_audio_ms: Type.Number() }),
  'duet.session.closing': serverEvent('duet.session.closing', { reason: Type.String(), deadline_ms: Type.Number() }),
  'duet.capabilities.updated': serverEvent('duet.capabilities.updated', {
    capabilities: SessionObject.properties.duet.properties.capabilities,
    provisioning: Type.Union([ModelProvisioning, Type.Null()]),
  }),
} satisfies Record<string, TObject>;

export type ServerEventType = keyof typeof ServerEventSchemas;
export type ServerEvent<K extends ServerEventType = ServerEventType> = { [T in K]: Static<(typeof ServerEventSchemas)[T]> }[K];
/** A server event before the sender stamps its event_id. */
export type OutgoingEvent<K extends ServerEventType = ServerEventType> = { [T in K]: Omit<Static<(typeof ServerEventSchemas)[T]>, 'event_id'> }[K];

/** Beta (OpenAI-Beta: realtime=v1) names of the events GA renamed. */
export const BETA_EVENT_NAMES: Partial<Record<ServerEventType, string>> = {
  'conversation.item.added': 'conversation.item.created',
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
};

import { Type, type Static } from '@sinclair/typebox';

// The session object of the OpenAI Realtime API (GA shape), plus the beta flat
// keys older clients send (mapped onto the GA shape by server/realtime/session-config.ts).

export const AudioFormat = Type.Union([
  Type.Object({ type: Type.Literal('audio/pcm'), rate: Type.Optional(Type.Union([Type.Literal(24000), Type.Literal(16000)])) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('audio/pcmu') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('audio/pcma') }, { additionalProperties: false }),
]);
export type AudioFormat = Static<typeof AudioFormat>;

export const BetaAudioFormat = Type.Union([Type.Literal('pcm16'), Type.Literal('g711_ulaw'), Type.Literal('g711_alaw')]);

export const TurnDetection = Type.Union([
  Type.Object(
    {
      type: Type.Literal('server_vad'),
      threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      prefix_padding_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 5000 })),
      silence_duration_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
      create_response: Type.Optional(Type.Boolean()),
      interrupt_response: Type.Optional(Type.Boolean()),
      idle_timeout_ms: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('semantic_vad'),
      eagerness: Type.Optional(Type.Union(['low', 'medium', 'high', 'auto'].map((e) => Type.Literal(e)))),
      create_response: Type.Optional(Type.Boolean()),
      interrupt_response: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export type TurnDetection = Static<typeof TurnDetection>;

export const Transcription = Type.Union([
  Type.Object(
    { model: Type.Optional(Type.String()), language: Type.Optional(Type.String()), prompt: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

const NoiseReduction = Type.Union([Type.Object({ type: Type.Union([Type.Literal('near_field'), Type.Literal('far_field')]) }, { additionalProperties: false }), Type.Null()]);
const Modalities = Type.Array(Type.Union([Type.Literal('text'), Type.Literal('audio')]), { minItems: 1, maxItems: 2 });
const MaxTokens = Type.Union([Type.Integer({ minimum: 1, maximum: 4096 }), Type.Literal('inf')]);

/** What a client may send in `session.update` (every key optional). */
export const SessionUpdate = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('realtime'), Type.Literal('transcription')])),
    model: Type.Optional(Type.String()),
    instructions: Type.Optional(Type.String({ maxLength: 65536 })),
    output_modalities: Type.Optional(Modalities),
    audio: Type.Optional(
      Type.Object(
        {
          input: Type.Optional(
            Type.Object(
              {
                format: Type.Optional(AudioFormat),
                transcription: Type.Optional(Transcription),
                turn_detection: Type.Optional(TurnDetection),
                noise_reduction: Type.Optional(NoiseReduction),
              },
              { additionalProperties: false },
            ),
          ),
          output: Type.Optional(
            Type.Object(
              {
                format: Type.Optional(AudioFormat),
                voice: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
                speed: Type.Optional(Type.Number({ minimum: 0.25, maximum: 4 })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    max_output_tokens: Type.Optional(MaxTokens),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    tools: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 0, description: 'Tools are not supported; only an empty list is accepted.' })),
    tool_choice: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('none')])),
    tracing: Type.Optional(Type.Unknown()),
    truncation: Type.Optional(Type.Unknown()),
    include: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    // Beta (OpenAI-Beta: realtime=v1) flat keys.
    modalities: Type.Optional(Modalities),
    voice: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    input_audio_format: Type.Optional(BetaAudioFormat),
    output_audio_format: Type.Optional(BetaAudioFormat),
    input_audio_transcription: Type.Optional(Transcription),
    input_audio_noise_reduction: Type.Optional(NoiseReduction),
    turn_detection: Type.Optional(TurnDetection),
    max_response_output_tokens: Type.Optional(MaxTokens),
    speed: Type.Optional(Type.Number({ minimum: 0.25, maximum: 4 })),
    /** Duet extensions. */
    duet: Type.Optional(
      Type.Object(
        {
          /** Cancel the assistant's own voice in the input audio (default true); false for clients that cancel echo themselves. */
          echo_cancellation: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SessionUpdate = Static<typeof SessionUpdate>;

/** The full session as the server reports it in session.created/updated (GA shape). */
export const SessionObject = Type.Object({
  type: Type.Literal('realtime'),
  object: Type.Literal('realtime.session'),
  id: Type.String(),
  model: Type.String(),
  instructions: Type.String(),
  output_modalities: Modalities,
  audio: Type.Object({
    input: Type.Object({
      format: AudioFormat,
      transcription: Transcription,
      turn_detection: TurnDetection,
      noise_reduction: NoiseReduction,
    }),
    output: Type.Object({ format: AudioFormat, voice: Type.String(), speed: Type.Number() }),
  }),
  max_output_tokens: MaxTokens,
  tools: Type.Array(Type.Unknown()),
  tool_choice: Type.String(),
  /** Duet extension: which model capabilities this server can serve right now. */
  duet: Type.Object({
    capabilities: Type.Record(Type.String(), Type.Object({ available: Type.Boolean(), backend: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) })),
    /** Whether the session cancels the assistant's own voice in its input (session.update `duet.echo_cancellation`). */
    echo_cancellation: Type.Optional(Type.Boolean()),
  }),
});
export type SessionObject = Static<typeof SessionObject>;

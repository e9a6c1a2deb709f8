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
    {
      model: Type.Optional(Type.String()),
      language: Type.Optional(Type.String()),
      prompt: Type.Optional(Type.String()),
      delay: Type.Optional(Type.Union(['minimal', 'low', 'medium', 'high', 'xhigh'].map((d) => Type.Literal(d)))),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

/** When `input_audio_buffer.speech_started` is sent for speech over an answer (Duet extension). */
const SpeechStartedMode = Type.Union([Type.Literal('immediate'), Type.Literal('confirmed')]);
// OpenAI session keys Duet accepts, stores and echoes without acting on them (protocol/README.md, "Compatibility").
export const Tracing = Type.Union([
  Type.Literal('auto'),
  Type.Object(
    { workflow_name: Type.Optional(Type.String()), group_id: Type.Optional(Type.String()), metadata: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export const Truncation = Type.Union([
  Type.Literal('auto'),
  Type.Literal('disabled'),
  Type.Object(
    {
      type: Type.Literal('retention_ratio'),
      retention_ratio: Type.Number({ minimum: 0, maximum: 1 }),
      token_limits: Type.Optional(Type.Object({ post_instructions: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
]);
/** Function and MCP tool definitions: accepted and echoed; Duet's models never call them. */
export const Tool = Type.Union([
  Type.Object(
    { type: Type.Literal('function'), name: Type.String({ minLength: 1, maxLength: 128 }), description: Type.Optional(Type.String()), parameters: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('mcp'), server_label: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
]);
export const ToolChoice = Type.Union([
  Type.Literal('auto'),
  Type.Literal('none'),
  Type.Literal('required'),
  Type.Object({ type: Type.Literal('function'), name: Type.String() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('mcp'), server_label: Type.String(), name: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, { additionalProperties: false }),
]);
export const Reasoning = Type.Object(
  { effort: Type.Optional(Type.Union(['minimal', 'low', 'medium', 'high', 'xhigh'].map((e) => Type.Literal(e)))) },
  { additionalProperties: false },
);
/** Stored prompts (`prompt.id`) do not exist in Duet: only `null` is accepted (session-settings.ts says why). */
export const Prompt = Type.Union([
  Type.Object(
    { id: Type.String(), version: Type.Optional(Type.Union([Type.String(), Type.Null()])), variables: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const Include = Type.Union([Type.Array(Type.Literal('item.input_audio_transcription.logprobs'), { maxItems: 1 }), Type.Null()]);

const NoiseReduction = Type.Union([Type.Object({ type: Type.Union([Type.Literal('near_field'), Type.Literal('far_field')]) }, { additionalProperties: false }), Type.Null()]);
const Modalities = Type.Array(Type.Union([Type.Literal('text'), Type.Literal('audio')]), { minItems: 1, maxItems: 2 });
const MaxTokens = Type.Union([Type.Integer({ minimum: 1, maximum: 4096 }), Type.Literal('inf')]);

/** What a client may send in `session.update` (every key optional). */
export const SessionUpdate = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('realtime'), Type.Literal('transcription')])),
    model: Type.Optional(Type.String({ maxLength: 128, description: 'Echoed in every session.updated, so it is kept short.' })),
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
    tools: Type.Optional(Type.Array(Tool, { maxItems: 128 })),
    tool_choice: Type.Optional(ToolChoice),
    parallel_tool_calls: Type.Optional(Type.Boolean()),
    reasoning: Type.Optional(Reasoning),
    prompt: Type.Optional(Prompt),
    tracing: Type.Optional(Tracing),
    truncation: Type.Optional(Truncation),
    include: Type.Optional(Include),
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
    /** Duet extensions (documented in protocol/README.md). */
    duet: Type.Optional(
      Type.Object(
        {
          /** When speech over an answer is announced (see protocol/README.md, "Speech over an answer"). */
          speech_started: Type.Optional(SpeechStartedMode),
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
  tools: Type.Array(Tool),
  tool_choice: ToolChoice,
  parallel_tool_calls: Type.Optional(Type.Boolean()),
  reasoning: Type.Optional(Reasoning),
  prompt: Type.Null(),
  tracing: Tracing,
  truncation: Truncation,
  include: Include,
  /** Duet extension: which model capabilities this server can serve right now. */
  duet: Type.Object({
    speech_started: SpeechStartedMode,
    capabilities: Type.Record(Type.String(), Type.Object({ available: Type.Boolean(), backend: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) })),
    /** Whether the session cancels the assistant's own voice in its input (session.update `duet.echo_cancellation`). */
    echo_cancellation: Type.Optional(Type.Boolean()),
  }),
});
export type SessionObject = Static<typeof SessionObject>;

import { Type, type Static } from '@sinclair/typebox';
// Owned by the model backends (models/): the server's config schema includes it as the `models` section.

/** An OpenAI-compatible HTTP endpoint (vLLM, llama.cpp server, Ollama, OpenAI). */
export const RemoteEndpoint = Type.Object(
  {
    baseUrl: Type.String({ minLength: 1, description: 'e.g. http://vllm:8000/v1' }),
    model: Type.String({ minLength: 1 }),
    apiKeyEnv: Type.Optional(Type.String({ description: 'Name of the environment variable holding the key (keys never live in config files).' })),
    connectTimeoutMs: Type.Integer({ minimum: 1, default: 5000 }),
    firstTokenTimeoutMs: Type.Integer({ minimum: 1, default: 30000 }),
    idleTimeoutMs: Type.Integer({ minimum: 1, default: 15000, description: 'Longest silence allowed between two stream chunks.' }),
    maxConcurrent: Type.Integer({ minimum: 1, default: 64 }),
    maxRetries: Type.Integer({ minimum: 0, default: 2, description: 'Retries on 429/5xx/connect errors, only before any output was streamed.' }),
  },
  { additionalProperties: false },
);
export type RemoteEndpoint = Static<typeof RemoteEndpoint>;

const StateTokens = Type.Tuple([Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), Type.String({ minLength: 1 })], {
  description: 'Strings of the state tokens <1> valid query, <2> noise, <3> text query for this model.',
});

export const ChatModelConfig = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('embedded'),
      model: Type.String({ minLength: 1, description: 'Local directory (Optimum/transformers.js layout) or hub id resolved in cacheDir.' }),
      dtype: Type.Optional(Type.String({ description: 'ONNX variant: fp32, fp16, q8, q4 ... (onnx/model_<dtype>.onnx).' })),
      stateTokens: Type.Optional(StateTokens),
      maxNewTokens: Type.Integer({ minimum: 1, default: 512 }),
      threadsPerInstance: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('remote'),
      generator: RemoteEndpoint,
      monitor: Type.Optional(RemoteEndpoint),
      stateTokens: Type.Optional(StateTokens),
      vision: Type.Boolean({ default: false, description: 'The remote model accepts image_url parts.' }),
      maxNewTokens: Type.Integer({ minimum: 1, default: 512 }),
      monitorMethod: Type.Optional(
        Type.Union([Type.Literal('auto'), Type.Literal('logprobs'), Type.Literal('constrained')], {
          description: 'How the monitor reads the state token: first-token logprobs, or a constrained one-token choice for engines without logprobs (default auto: logprobs, falling back once refused).',
        }),
      ),
      constrainedChoice: Type.Optional(Type.Union([Type.Literal('json_schema'), Type.Literal('structured_outputs'), Type.Literal('guided_choice')], { description: 'Constrained-choice dialect of the fallback (vLLM guided_choice, structured_outputs, or OpenAI json_schema).' })),
      topLogprobs: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'top_logprobs of the monitor request (default 20).' })),
      monitorInstructions: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Monitor system prompt; null for models trained to emit the state tokens (VITA).' })),
      extraBody: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Extra JSON fields for every chat request (engine-specific sampling options).' })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('scripted'),
      script: Type.String({ minLength: 1, description: 'TESTING ONLY: path to a JSON script of replies and decisions.' }),
    },
    { additionalProperties: false },
  ),
]);
export type ChatModelConfig = Static<typeof ChatModelConfig>;

export const AsrConfig = Type.Union([
  Type.Object({ kind: Type.Literal('embedded'), model: Type.String({ minLength: 1 }), dtype: Type.Optional(Type.String()) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('remote'), endpoint: RemoteEndpoint }, { additionalProperties: false }),
]);

export const TtsConfig = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('espeak'),
      defaultVoice: Type.String({ default: 'en-us' }),
      engine: Type.Union([Type.Literal('auto'), Type.Literal('libespeak'), Type.Literal('cli'), Type.Literal('wasm')], {
        default: 'auto',
        description: 'espeak-ng engine: libespeak (Debian library via a python3 worker: fastest, word timings), cli (espeak-ng program), wasm (text2wav, always installed); auto takes the first that starts.',
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('remote'),
      endpoint: RemoteEndpoint,
      defaultVoice: Type.String({ default: 'alloy' }),
      voices: Type.Optional(Type.Array(Type.String(), { description: 'Voices the engine offers (session.update is checked against them).' })),
      sampleRate: Type.Optional(Type.Integer({ minimum: 8000, description: 'PCM rate of /v1/audio/speech (default 24000).' })),
    },
    { additionalProperties: false },
  ),
]);

export const ModelsSection = Type.Object(
  {
    cacheDir: Type.String({ default: '.cache/models', description: 'Where hub ids are resolved and `npm run models:pull` writes.' }),
    chat: Type.Union([ChatModelConfig, Type.Null()], {
      default: null,
      description: 'The chat model run as two instances (generator + monitor). null: no answers (`model_unavailable`).',
    }),
    asr: Type.Union([AsrConfig, Type.Null()], { default: null, description: 'Speech recognizer for transcripts; null: none.' }),
    tts: Type.Union([TtsConfig, Type.Null()], {
      default: { kind: 'espeak', defaultVoice: 'en-us', engine: 'auto' },
      description: 'Speech synthesizer for audio answers; null: text only.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type ModelsSection = Static<typeof ModelsSection>;

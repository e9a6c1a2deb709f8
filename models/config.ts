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

const StateString = Type.String({ minLength: 1 });
const StateTokens = Type.Union([Type.Tuple([StateString, StateString, StateString]), Type.Tuple([StateString, StateString, StateString, StateString])], {
  description:
    'Strings of the state tokens <1> valid query, <2> noise, <3> text query for this model, and optionally a fourth, <4> incomplete (the speaker paused mid-turn; read only with `monitor` in turns.endOfTurn). Without a fourth: <4> next to <1>/<2>/<3>, 4 next to 1/2/3, none otherwise.',
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
      niceness: Type.Optional(Type.Integer({
        minimum: 0,
        maximum: 19,
        default: 10,
        description: "CPU niceness of the synthesizer's processes (libespeak's worker, cli's espeak-ng runs; wasm runs in a thread of the server and keeps its priority). Synthesis runs far ahead of playback and can wait; at the server's own priority (0) its bursts stall every session's audio on a busy core.",
      })),
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

/**
 * Defaults of the model roles, applied only when the key is absent (resolveConfig). They are not
 * schema defaults because TypeBox merges an object default into any object given, so a configured
 * remote engine would inherit the embedded default's fields.
 */
export const MODEL_ROLE_DEFAULTS = {
  chat: { kind: 'embedded', model: 'onnx-community/Qwen2.5-0.5B-Instruct', dtype: 'q8' },
  asr: { kind: 'embedded', model: 'onnx-community/whisper-tiny.en', dtype: 'q8' },
  tts: { kind: 'espeak' },
} as const;

export const ModelsSection = Type.Object(
  {
    cacheDir: Type.String({ default: '.cache/models', description: 'Where hub ids are resolved and `npm run models:pull` writes.' }),
    chat: Type.Union([ChatModelConfig, Type.Null()], {
      description: 'The chat model run as two instances (generator + monitor); the default (with the default models.asr) is downloaded on first start (models.download). null: no answers (`model_unavailable`) and, unless models.asr is set, no recognizer: the model-free start.',
    }),
    asr: Type.Union([AsrConfig, Type.Null()], {
      description: 'Speech recognizer for transcripts (the embedded monitor classifies them); null: none. The default comes only with the default models.chat: a configuration that sets models.chat and not this key has none.',
    }),
    // Optional in the type (filled by the defaults) so model sets built by hand need not name them.
    download: Type.Optional(Type.Boolean({
      default: true,
      description: 'Embedded models named by hub id and not yet in cacheDir are downloaded in the background at start (resumable, verified), then loaded without a restart. false (or env HF_HUB_OFFLINE=1): use the cache only.',
    })),
    hubEndpoint: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'Hub to download from; null: env HF_ENDPOINT, else https://huggingface.co (HF_TOKEN is sent when set).',
    })),
    tts: Type.Union([TtsConfig, Type.Null()], {
      description: 'Speech synthesizer for audio answers; null: text only.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type ModelsSection = Static<typeof ModelsSection>;

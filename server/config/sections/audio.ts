import { Type } from '@sinclair/typebox';

// Owned by the audio front-end (server/audio/). Session-level turn detection
// settings come from the protocol's `turn_detection`; these are the server defaults
// and the knobs the protocol does not expose.
export const AudioSection = Type.Object(
  {
    melPreset: Type.Union([Type.Literal('whisper'), Type.Literal('whisper-128'), Type.Literal('kaldi'), Type.Literal('moonshine-micro')], {
      default: 'whisper',
      description: 'Log-mel front-end computed for every session (segments carry these features to the models).',
    }),
    vad: Type.Object(
      {
        threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Speech-on probability (session turn_detection.threshold overrides).' }),
        negativeThresholdOffset: Type.Number({ minimum: 0, maximum: 1, default: 0.15, description: 'Speech-off threshold = threshold - this (hysteresis).' }),
        minSpeechMs: Type.Integer({ minimum: 0, default: 250, description: 'Shorter speech is dropped as a blip.' }),
        silenceDurationMs: Type.Integer({ minimum: 0, default: 500 }),
        prefixPaddingMs: Type.Integer({ minimum: 0, default: 300 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

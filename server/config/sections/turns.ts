import { Type } from '@sinclair/typebox';
import { DEFAULT_BACKCHANNEL_WORDS, DEFAULT_COMMAND_WORDS } from '../../turns/default-words.js';

// Owned by the end-of-turn layer (server/turns/): when a pause after speech ends the user's turn.
const EndOfTurnSource = Type.Union([Type.Literal('silence'), Type.Literal('model'), Type.Literal('monitor')]);
const wordsPerLanguage = (defaults: Record<string, string[]>, description: string) =>
  Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })), { default: defaults, description });

export const TurnsSection = Type.Object(
  {
    endOfTurn: Type.Array(EndOfTurnSource, {
      default: ['silence'],
      uniqueItems: true,
      description:
        "End-of-turn judges, consulted in order when a segment ends: `model` (the Smart-Turn-layout audio model at turns.modelPath), `monitor` (its fourth outcome `<4>` incomplete), `silence` (the VAD's silence timer, as before). A turn judged incomplete is held (no answer, no takeover) for at most turns.holdMs; the silence timer is always the fallback and the upper bound.",
    }),
    modelPath: Type.Optional(Type.String({ minLength: 1, description: 'The end-of-turn model: an ONNX file in the Smart Turn v3 layout (input `input_features` [1, 80, 800], output a completion probability). Needs audio.melPreset `whisper`.' })),
    modelThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'The end-of-turn model calls a turn complete at this probability or above.' }),
    holdMs: Type.Integer({ minimum: 0, default: 3000, description: 'Longest a turn judged incomplete is held, counted from when the silence timer ended its first piece; then it is answered as it is. Speech within it is merged into one user item with one transcript.' }),
    speculative: Type.Union([Type.Boolean(), Type.Literal('auto')], {
      default: 'auto',
      description:
        "Start the monitor decision and the answer at a short pause (turns.speculativePauseMs), before the silence timer (also over an answer paused on the speech: the answer to the interruption); output is released only when the turn is confirmed, and discarded without a trace if the user goes on speaking or the speech proves noise. `auto` (the default): when the end-of-turn model is loaded, whose probability then gates each start; `true`: at every pause; `false`: never.",
    }),
    speculativePauseMs: Type.Integer({ minimum: 32, default: 200, description: 'Silence after speech at which the pause is judged (the front-end reports `pause_started`): the end-of-turn model, when loaded, ends the turn there if it calls it complete (before the silence timer), and a speculative start is considered.' }),
    speculativeThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.7, description: "With the end-of-turn model configured, a speculative start also needs the model's completion probability at this value or above." }),
    backchannels: Type.Boolean({ default: true, description: 'With a transcript, a segment made only of backchannel or filler words (turns.backchannelWords) during an answer is noise, decided without the monitor; one made of commands (turns.commandWords) is always a query.' }),
    backchannelWords: wordsPerLanguage(DEFAULT_BACKCHANNEL_WORDS, 'Backchannel and filler words (and short phrases) per language (the session transcription language, else `en`); a segment made only of these during an answer is noise.'),
    commandWords: wordsPerLanguage(DEFAULT_COMMAND_WORDS, 'Short commands per language; a segment made only of these (and fillers) is always a query, even during an answer.'),
  },
  { additionalProperties: false, default: {} },
);

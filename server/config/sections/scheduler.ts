import { Type } from '@sinclair/typebox';

// Owned by the interrupt scheduler (server/scheduler/).
export const SchedulerSection = Type.Object(
  {
    minInterruptSpeechMs: Type.Integer({ minimum: 0, default: 200, description: 'Speech pauses an answer only once it has lasted this long since its onset (the VAD already requires audio.vad.minSpeechMs before it confirms speech, so by default the pause comes at confirmation).' }),
    pauseTimeoutMs: Type.Integer({ minimum: 1, default: 2000, description: 'A pause with no monitor decision by then resumes the answer.' }),
    echoGuardMs: Type.Integer({ minimum: 0, default: 4000, description: 'A segment whose transcript matches what the assistant said this recently is noise (0: off).' }),
    echoSimilarity: Type.Number({ minimum: 0, maximum: 1, default: 0.6, description: 'Word-overlap ratio above which a transcript counts as echo.' }),
    historyTurns: Type.Integer({ minimum: 1, default: 8, description: 'Conversation turns the monitor sees.' }),
  },
  { additionalProperties: false, default: {} },
);

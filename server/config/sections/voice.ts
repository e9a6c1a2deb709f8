import { Type } from '@sinclair/typebox';

// Owned by speech output (server/voice/).
export const VoiceSection = Type.Object(
  {
    leadMs: Type.Integer({ minimum: 0, default: 300, description: 'Audio is sent at most this far ahead of real time.' }),
    minChunkChars: Type.Integer({ minimum: 1, default: 8, description: 'Shortest text chunk handed to the TTS (chunks end at punctuation).' }),
  },
  { additionalProperties: false, default: {} },
);

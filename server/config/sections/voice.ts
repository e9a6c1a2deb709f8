import { Type } from '@sinclair/typebox';

// Owned by speech output (server/voice/).
export const VoiceSection = Type.Object(
  {
    leadMs: Type.Integer({ minimum: 0, default: 300, description: 'Audio is sent at most this far ahead of real time.' }),
    duckLeadMs: Type.Integer({ minimum: 0, default: 200, description: 'While an answer is ducked (scheduler.duckMs), audio is sent at most this far ahead (capped by leadMs): should the duck become a pause, less is left to play out at the client. Frames are frameMs long, so the client holds between duckLeadMs - frameMs and duckLeadMs.' }),
    minChunkChars: Type.Integer({ minimum: 1, default: 8, description: 'Shortest text chunk handed to the TTS (chunks end at punctuation).' }),
    maxChunkChars: Type.Integer({ minimum: 1, default: 200, description: 'Text without punctuation is cut at a space once this long.' }),
    frameMs: Type.Integer({ minimum: 10, maximum: 1000, default: 100, description: 'Audio per output_audio.delta (the last one of a clause may be shorter).' }),
    chunksAhead: Type.Integer({ minimum: 0, maximum: 8, default: 1, description: 'Text chunks synthesized beyond the one playing (0: synthesize only what plays next).' }),
  },
  { additionalProperties: false, default: {} },
);

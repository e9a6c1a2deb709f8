import { Type, type Static } from '@sinclair/typebox';

// Owned by the camera front-end (server/vision/).
export const VisionSection = Type.Object(
  {
    maxImageBytes: Type.Integer({ minimum: 1024, default: 4 << 20, description: 'Largest encoded image (JPEG/PNG) accepted, in bytes.' }),
    maxImagePixels: Type.Integer({ minimum: 1, default: 16_777_216, description: 'Largest width x height accepted, read from the header before decoding.' }),
    frameWindowMs: Type.Integer({ minimum: 1, default: 4000, description: 'Camera frames kept (VITA: last 4 s).' }),
    frameGapResetMs: Type.Integer({ minimum: 1, default: 1000, description: 'A gap longer than this clears the frame buffer.' }),
    framesPerQuery: Type.Integer({ minimum: 0, default: 4, description: 'Evenly spaced frames attached to each spoken query (0: none).' }),
    maxFramesPerQuery: Type.Integer({ minimum: 1, default: 16, description: 'Cap for long utterances (1 fps).' }),
    maxBufferedFrames: Type.Integer({
      minimum: 2,
      default: 64,
      description: 'Most frames a session keeps, whatever the client frame rate; past it frames are thinned to stay evenly spaced.',
    }),
    maxBufferedBytes: Type.Integer({
      minimum: 1024,
      default: 32 << 20,
      description: 'Most encoded frame bytes a session keeps; past it frames are thinned like maxBufferedFrames.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type VisionSection = Static<typeof VisionSection>;

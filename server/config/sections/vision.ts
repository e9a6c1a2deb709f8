import { Type } from '@sinclair/typebox';

// Owned by the camera front-end (server/vision/).
export const VisionSection = Type.Object(
  {
    maxImageBytes: Type.Integer({ minimum: 1024, default: 4 << 20 }),
    maxImagePixels: Type.Integer({ minimum: 1, default: 16_777_216 }),
    frameWindowMs: Type.Integer({ minimum: 1, default: 4000, description: 'Camera frames kept (VITA: last 4 s).' }),
    frameGapResetMs: Type.Integer({ minimum: 1, default: 1000, description: 'A gap longer than this clears the frame buffer.' }),
    framesPerQuery: Type.Integer({ minimum: 0, default: 4, description: 'Evenly spaced frames attached to each spoken query.' }),
    maxFramesPerQuery: Type.Integer({ minimum: 1, default: 16, description: 'Cap for long utterances (1 fps).' }),
  },
  { additionalProperties: false, default: {} },
);

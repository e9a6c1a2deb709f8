import { Type, type Static } from '@sinclair/typebox';
import { ServerSection } from './sections/server.js';
import { AuthSection } from './sections/auth.js';
import { LimitsSection } from './sections/limits.js';
import { ModelsSection } from '../../models/config.js';
import { AudioSection } from './sections/audio.js';
import { SchedulerSection } from './sections/scheduler.js';
import { VoiceSection } from './sections/voice.js';
import { VisionSection } from './sections/vision.js';
import { TurnsSection } from './sections/turns.js';

/** The whole server configuration. Every key is documented in README.md (a test checks it). */
export const ConfigSchema = Type.Object(
  {
    server: ServerSection,
    auth: AuthSection,
    limits: LimitsSection,
    models: ModelsSection,
    audio: AudioSection,
    scheduler: SchedulerSection,
    voice: VoiceSection,
    vision: VisionSection,
    turns: TurnsSection,
  },
  { additionalProperties: false, default: {} },
);

export type Config = Static<typeof ConfigSchema>;

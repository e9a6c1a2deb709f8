import type { SpeechSynthesizer } from '../../models/types.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import type { OutputChannel } from '../response/output-channel.js';
import type { PartRef } from '../response/response-run.js';
import type { SessionContext } from './session-context.js';

export interface SpeechChannelParams {
  ref: PartRef;
  session: SessionContext;
  tts: SpeechSynthesizer;
  voice: Config['voice'];
  metrics: Metrics;
}

export function createSpeechChannel(_p: SpeechChannelParams): OutputChannel {
  throw new Error('speech output is wired in a later step');
}

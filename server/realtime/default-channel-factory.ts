import type { Config } from '../config/schema.js';
import type { ModelSet } from '../../models/types.js';
import type { Metrics } from '../metrics.js';
import { TextChannel } from '../response/text-channel.js';
import type { ChannelFactory } from './channel-factory.js';
import { createSpeechChannel } from './speech-channel.js';

/** Text responses stream text deltas; audio responses go through the TTS and the pacer. */
export function createChannelFactory(config: Config, models: ModelSet, metrics: Metrics): ChannelFactory {
  return ({ ref, modality, session }) => {
    if (modality === 'audio' && models.tts) return createSpeechChannel({ ref, session, tts: models.tts, voice: config.voice, metrics, tap: session.audio.echo.outputTap() });
    const template = session.outbound.deltaTemplate('response.output_text.delta', ref);
    return new TextChannel({ textDelta: (delta) => session.outbound.sendDelta(template, delta) });
  };
}

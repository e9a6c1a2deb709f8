import type { Logger } from 'pino';
import type { Capability, CapabilityStatus, ModelInstance, ModelSet, SpeechRecognizer, SpeechSynthesizer } from '../models/types.js';
import type { Config } from './config/schema.js';
import { createScriptedChat } from '../models/scripted/index.js';
import { createChat, createAsr, createTts } from './model-backends.js';

/** Chat, ASR and TTS as configured. A backend that fails to load is reported, never faked. */
export async function createModelSet(config: Config['models'], log: Logger): Promise<ModelSet> {
  const status: Record<Capability, CapabilityStatus> = {
    generator: { available: false, reason: 'no chat model configured (models.chat)' },
    monitor: { available: false, reason: 'no chat model configured (models.chat)' },
    asr: { available: false, reason: 'no speech recognizer configured (models.asr)' },
    tts: { available: false, reason: 'no speech synthesizer configured (models.tts)' },
    vision: { available: false, reason: 'the chat model takes no images' },
  };
  let instances: readonly [ModelInstance, ModelInstance] | null = null;
  let vision = false;
  let asr: SpeechRecognizer | null = null;
  let tts: SpeechSynthesizer | null = null;
  const closers: (() => Promise<void>)[] = [];

  if (config.chat) {
    try {
      const chat = config.chat.kind === 'scripted' ? { ...createScriptedChat(config.chat.script), vision: false, probe: undefined } : await createChat(config, log);
      instances = chat.instances;
      vision = chat.vision;
      status.generator = chat.status;
      status.monitor = chat.status;
      if (vision) status.vision = chat.status;
      for (const instance of chat.instances) closers.push(() => instance.close());
    } catch (err) {
      const reason = `chat model failed to load: ${(err as Error).message}`;
      log.error({ err }, reason);
      status.generator = status.monitor = { available: false, reason };
    }
  }
  if (config.asr) {
    try {
      asr = await createAsr(config, log);
      status.asr = { available: true, backend: asr.id };
      closers.push(() => asr!.close());
    } catch (err) {
      status.asr = { available: false, reason: `speech recognizer failed to load: ${(err as Error).message}` };
      log.error({ err }, status.asr.reason);
    }
  }
  if (config.tts) {
    try {
      tts = await createTts(config, log);
      status.tts = { available: true, backend: tts.id };
      closers.push(() => tts!.close());
    } catch (err) {
      status.tts = { available: false, reason: `speech synthesizer failed to load: ${(err as Error).message}` };
      log.error({ err }, status.tts.reason);
    }
  }
  return {
    instances,
    asr,
    tts,
    vision,
    status: () => status,
    close: async () => {
      await Promise.allSettled(closers.map((c) => c()));
    },
  };
}

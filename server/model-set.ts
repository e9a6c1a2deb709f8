import type { Logger } from 'pino';
import type { Capability, CapabilityStatus, ModelInstance, ModelSet, SpeechRecognizer, SpeechSynthesizer } from '../models/types.js';
import type { Config } from './config/schema.js';
import { createScriptedChat } from '../models/scripted/index.js';
import { loadBackends, type BackendOptions } from './model-backends.js';

type StatusSource = () => CapabilityStatus;

const MISSING: Record<Capability, CapabilityStatus> = {
  generator: { available: false, reason: 'no chat model configured (models.chat)' },
  monitor: { available: false, reason: 'no chat model configured (models.chat)' },
  asr: { available: false, reason: 'no speech recognizer configured (models.asr)' },
  tts: { available: false, reason: 'no speech synthesizer configured (models.tts)' },
  vision: { available: false, reason: 'the chat model takes no images' },
};

/**
 * Chat, ASR and TTS as configured, each from its backend (scripted for tests, embedded ONNX,
 * remote engine, espeak). A backend that fails to load is reported with its reason, never faked.
 * Status is live: remote engines that go down or come back show in /readyz.
 */
export async function createModelSet(config: Config['models'], log: Logger, options: BackendOptions = {}): Promise<ModelSet> {
  const status: Record<Capability, StatusSource> = {
    generator: () => MISSING.generator,
    monitor: () => MISSING.monitor,
    asr: () => MISSING.asr,
    tts: () => MISSING.tts,
    vision: () => MISSING.vision,
  };
  let instances: readonly [ModelInstance, ModelInstance] | null = null;
  let vision = false;
  let asr: SpeechRecognizer | null = null;
  let tts: SpeechSynthesizer | null = null;
  const closers: (() => Promise<void>)[] = [];
  const failed = (capabilities: Capability[], what: string, err: unknown): void => {
    const reason = `${what} failed to load: ${(err as Error).message}`;
    log.error({ err }, reason);
    for (const c of capabilities) status[c] = () => ({ available: false, reason });
  };

  if (config.chat?.kind === 'scripted') {
    const chat = createScriptedChat(config.chat.script);
    instances = chat.instances;
    status.generator = status.monitor = () => chat.status;
  }
  const backends = await loadBackends(config, log, failed, options);
  for (const backend of backends) {
    closers.push(backend.close);
    if (backend.instances) {
      instances = backend.instances;
      vision = backend.vision;
      status.generator = () => backend.status('generator');
      status.monitor = () => backend.status('monitor');
      if (vision) status.vision = () => backend.status('vision');
    }
    if (backend.asr) {
      asr = backend.asr;
      status.asr = () => backend.status('asr');
    }
    if (backend.tts) {
      tts = backend.tts;
      status.tts = () => backend.status('tts');
    }
  }
  for (const instance of instances ?? []) closers.push(() => instance.close());
  return {
    instances,
    asr,
    tts,
    vision,
    status: () => ({
      generator: status.generator(),
      monitor: status.monitor(),
      asr: status.asr(),
      tts: status.tts(),
      vision: status.vision(),
    }),
    close: async () => {
      await Promise.allSettled(closers.map((c) => c()));
    },
  };
}

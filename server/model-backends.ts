import type { Logger } from 'pino';
import type { Capability, CapabilityStatus, ModelInstance, SpeechRecognizer, SpeechSynthesizer } from '../models/types.js';
import type { Config } from './config/schema.js';

/** What one backend (remote engines, embedded ONNX, espeak) contributes to the model set. */
export interface Backend {
  instances: readonly [ModelInstance, ModelInstance] | null;
  vision: boolean;
  asr: SpeechRecognizer | null;
  tts: SpeechSynthesizer | null;
  status: (capability: Capability) => CapabilityStatus;
  close: () => Promise<void>;
}

type Failed = (capabilities: Capability[], what: string, err: unknown) => void;

export interface BackendOptions {
  /** A recognizer comes from another model set (loaded at start while the chat model downloads). */
  asrElsewhere?: boolean;
}

/** Loads each configured backend; one that fails is reported through `failed` and skipped. */
export async function loadBackends(config: Config['models'], log: Logger, failed: Failed, options: BackendOptions = {}): Promise<Backend[]> {
  const out: Backend[] = [];
  const remoteWanted = config.chat?.kind === 'remote' || config.asr?.kind === 'remote' || config.tts?.kind === 'remote';
  if (remoteWanted) {
    try {
      out.push(await loadRemote(config, log));
    } catch (err) {
      failed(['generator', 'monitor', 'asr', 'tts'], 'remote engines', err);
    }
  }
  if (config.chat?.kind === 'embedded') {
    try {
      const { createEmbeddedChat } = await import('../models/embedded/index.js');
      const chat = await createEmbeddedChat(config, log);
      const needsAsr = config.asr === null && !options.asrElsewhere;
      const monitorStatus: CapabilityStatus = needsAsr
        ? { available: false, backend: chat.status.backend, reason: 'the embedded monitor classifies transcripts: configure models.asr (until then every segment is treated as a query)' }
        : chat.status;
      out.push({
        instances: chat.instances,
        vision: chat.vision,
        asr: null,
        tts: null,
        status: (c) => (c === 'monitor' ? monitorStatus : chat.status),
        close: () => chat.close(),
      });
    } catch (err) {
      failed(['generator', 'monitor'], `embedded chat model '${config.chat.model}'`, err);
    }
  }
  if (config.asr?.kind === 'embedded') {
    try {
      const { createEmbeddedAsr } = await import('../models/embedded/index.js');
      const asr = await createEmbeddedAsr(config, log);
      out.push({ instances: null, vision: false, asr, tts: null, status: () => ({ available: true, backend: asr.id }), close: () => asr.close() });
    } catch (err) {
      failed(['asr'], `embedded speech recognizer '${config.asr.model}'`, err);
    }
  }
  if (config.tts?.kind === 'espeak') {
    try {
      const { createEspeakSynthesizer } = await import('../models/tts/espeak/index.js');
      const tts = await createEspeakSynthesizer({ defaultVoice: config.tts.defaultVoice, engine: config.tts.engine, niceness: config.tts.niceness });
      const skipped = Object.entries(tts.skipped).map(([engine, why]) => `${engine}: ${why}`).join('; ');
      const status = { available: true, backend: tts.id, ...(skipped ? { reason: `fell back; skipped ${skipped}` } : {}) };
      out.push({ instances: null, vision: false, asr: null, tts, status: () => status, close: () => tts.close() });
    } catch (err) {
      failed(['tts'], 'espeak-ng speech synthesizer', err);
    }
  }
  return out;
}

async function loadRemote(config: Config['models'], log: Logger): Promise<Backend> {
  const { createRemoteModelSet } = await import('../models/remote/index.js');
  const chat = config.chat?.kind === 'remote' ? config.chat : null;
  const tts = config.tts?.kind === 'remote' ? config.tts : null;
  const set = createRemoteModelSet(config, log, {
    ...(chat?.monitorMethod ? { monitorMethod: chat.monitorMethod } : {}),
    ...(chat?.constrainedChoice ? { constrainedChoice: chat.constrainedChoice } : {}),
    ...(chat?.topLogprobs ? { topLogprobs: chat.topLogprobs } : {}),
    ...(chat?.monitorInstructions !== undefined ? { monitorInstructions: chat.monitorInstructions } : {}),
    ...(chat?.extraBody ? { generatorExtraBody: chat.extraBody, monitorExtraBody: chat.extraBody } : {}),
    ...(tts?.voices ? { ttsVoices: tts.voices } : {}),
    ...(tts?.sampleRate ? { ttsSampleRate: tts.sampleRate } : {}),
  });
  return {
    instances: set.instances,
    vision: set.vision,
    asr: set.asr,
    tts: set.tts,
    status: (capability) => set.status()[capability],
    close: () => set.close(),
  };
}

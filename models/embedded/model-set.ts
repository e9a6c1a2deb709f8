// The embedded backend as the server sees it: two chat instances sharing one model (in an
// inference worker), a Whisper recognizer (in another worker), and what is missing and why.
// Nothing is faked: a capability whose model is absent is null with a reason.

import type { Logger } from 'pino';
import type { Capability, CapabilityStatus, ModelInstance, ModelSet, SpeechRecognizer } from '../types.js';
import type { ModelsSection } from '../config.js';
import { missingModelMessage, resolveModelRef } from '../hub/resolve.js';
import { ChatEngine } from './chat/chat-engine.js';
import { EmbeddedChatInstance } from './chat/chat-instance.js';
import { WhisperRecognizer } from './asr/whisper.js';
import { EmbeddedModelError } from './errors.js';
import { InferenceWorker } from './worker/worker-host.js';
import { WorkerChatInstance, WorkerRecognizer } from './worker/worker-instances.js';
import type { ChatInfo } from './worker/protocol.js';

export type EmbeddedLog = Pick<Logger, 'info' | 'error'>;

export interface EmbeddedOptions {
  /** 'worker' (default): inference on its own thread. 'main': on the calling thread (tests, benchmarks). */
  threading?: 'worker' | 'main';
  /** Base for relative model paths and cacheDir (default: process.cwd()). */
  cwd?: string;
}

export interface EmbeddedChat {
  instances: readonly [ModelInstance, ModelInstance];
  vision: boolean;
  status: CapabilityStatus;
  /** Bytes of ONNX weights loaded once and shared by both instances. */
  sharedWeightsBytes: number;
  stateTokens: readonly string[];
  close(): Promise<void>;
}

/** A close that runs once, after every holder has released it (each instance closes the shared model). */
function sharedClose(holders: number, close: () => Promise<void>): { release: () => Promise<void>; now: () => Promise<void> } {
  let left = holders;
  let closing: Promise<void> | null = null;
  const now = () => (closing ??= close());
  return { release: () => (--left <= 0 ? now() : Promise.resolve()), now };
}

function locate(ref: string, models: ModelsSection, options: EmbeddedOptions): string {
  const resolved = resolveModelRef(ref, models.cacheDir, options.cwd);
  if (!resolved.exists) throw new EmbeddedModelError('model_not_found', missingModelMessage(ref, resolved));
  return resolved.dir;
}

/** Two instances of `models.chat` (kind 'embedded'). Throws EmbeddedModelError when it cannot load. */
export async function createEmbeddedChat(models: ModelsSection, log: EmbeddedLog, options: EmbeddedOptions = {}): Promise<EmbeddedChat> {
  const chat = models.chat;
  if (!chat || chat.kind !== 'embedded') throw new EmbeddedModelError('model_not_found', 'models.chat is not an embedded model');
  const dir = locate(chat.model, models, options);
  const engineOptions = {
    dir,
    id: chat.model,
    maxNewTokens: chat.maxNewTokens,
    ...(chat.dtype ? { dtype: chat.dtype } : {}),
    ...(chat.stateTokens ? { stateTokens: chat.stateTokens } : {}),
    ...(chat.threadsPerInstance ? { threads: chat.threadsPerInstance } : {}),
  };
  const backend = `embedded:${chat.model}${chat.dtype ? ` (${chat.dtype})` : ''}`;
  let info: ChatInfo;
  let instances: readonly [ModelInstance, ModelInstance];
  let close: () => Promise<void>;
  if (options.threading === 'main') {
    const engine = await ChatEngine.load(engineOptions);
    info = { modelId: engine.id, vision: engine.vision, stateTokens: engine.stateTokens.strings, weightsBytes: engine.weightsBytes };
    const shared = sharedClose(2, () => engine.close());
    instances = [new EmbeddedChatInstance(`${backend}#0`, engine, shared.release), new EmbeddedChatInstance(`${backend}#1`, engine, shared.release)];
    close = shared.now;
  } else {
    const worker = new InferenceWorker('duet-chat');
    try {
      info = await worker.call({ type: 'load-chat', options: engineOptions, instances: 2 }, (m) => (m.type === 'loaded' ? m.chat : undefined));
    } catch (err) {
      await worker.close();
      throw err;
    }
    const shared = sharedClose(2, () => worker.close());
    instances = [new WorkerChatInstance(`${backend}#0`, worker, 0, shared.release), new WorkerChatInstance(`${backend}#1`, worker, 1, shared.release)];
    close = shared.now;
  }
  log.info({ model: chat.model, dir, vision: info.vision, stateTokens: info.stateTokens, weightsBytes: info.weightsBytes }, 'embedded chat model loaded');
  return { instances, vision: info.vision, status: { available: true, backend }, sharedWeightsBytes: info.weightsBytes, stateTokens: info.stateTokens, close };
}

/** The Whisper recognizer of `models.asr` (kind 'embedded'). */
export async function createEmbeddedAsr(models: ModelsSection, log: EmbeddedLog, options: EmbeddedOptions = {}): Promise<SpeechRecognizer> {
  const asr = models.asr;
  if (!asr || asr.kind !== 'embedded') throw new EmbeddedModelError('model_not_found', 'models.asr is not an embedded model');
  const dir = locate(asr.model, models, options);
  const whisperOptions = { dir, id: `embedded:${asr.model}`, ...(asr.dtype ? { dtype: asr.dtype } : {}) };
  if (options.threading === 'main') return WhisperRecognizer.load(whisperOptions);
  const worker = new InferenceWorker('duet-asr');
  try {
    const id = await worker.call({ type: 'load-asr', options: whisperOptions }, (m) => (m.type === 'loaded' ? m.asrId : undefined));
    log.info({ model: asr.model, dir }, 'embedded speech recognizer loaded');
    return new WorkerRecognizer(id, worker);
  } catch (err) {
    await worker.close();
    throw err;
  }
}

/** Everything `models` configures as embedded; capabilities that cannot load are null with a reason. */
export async function createEmbeddedModelSet(models: ModelsSection, log: EmbeddedLog, options: EmbeddedOptions = {}): Promise<ModelSet & { chat: EmbeddedChat | null }> {
  const status: Record<Capability, CapabilityStatus> = {
    generator: { available: false, reason: 'no chat model configured (models.chat)' },
    monitor: { available: false, reason: 'no chat model configured (models.chat)' },
    asr: { available: false, reason: 'no speech recognizer configured (models.asr)' },
    tts: { available: false, reason: 'the embedded backend has no speech synthesizer (see models.tts)' },
    vision: { available: false, reason: 'no vision-language chat model configured' },
  };
  let chat: EmbeddedChat | null = null;
  let asr: SpeechRecognizer | null = null;
  if (models.chat?.kind === 'embedded') {
    try {
      chat = await createEmbeddedChat(models, log, options);
      status.generator = status.monitor = chat.status;
      if (chat.vision) status.vision = chat.status;
      else status.vision = { available: false, reason: `${models.chat.model} reads no images` };
    } catch (err) {
      const reason = `chat model unavailable: ${(err as Error).message}`;
      log.error({ err }, reason);
      status.generator = status.monitor = { available: false, reason };
    }
  } else if (models.chat) {
    status.generator = status.monitor = { available: false, reason: `models.chat is '${models.chat.kind}', not embedded` };
  }
  if (models.asr?.kind === 'embedded') {
    try {
      asr = await createEmbeddedAsr(models, log, options);
      status.asr = { available: true, backend: asr.id };
    } catch (err) {
      const reason = `speech recognizer unavailable: ${(err as Error).message}`;
      log.error({ err }, reason);
      status.asr = { available: false, reason };
    }
  }
  return {
    chat,
    instances: chat?.instances ?? null,
    asr,
    tts: null,
    vision: chat?.vision ?? false,
    status: () => status,
    close: async () => {
      await Promise.allSettled([chat?.close(), asr?.close()]);
    },
  };
}

import type { Logger } from 'pino';
import type { CapabilityStatus, ModelInstance, SpeechRecognizer, SpeechSynthesizer } from '../models/types.js';
import type { Config } from './config/schema.js';

export interface ChatBackend {
  instances: readonly [ModelInstance, ModelInstance];
  vision: boolean;
  status: CapabilityStatus;
}

// Wired to models/embedded and models/remote as those land.
export async function createChat(config: Config['models'], _log: Logger): Promise<ChatBackend> {
  throw new Error(`chat backend '${config.chat?.kind}' is not available in this build`);
}

export async function createAsr(config: Config['models'], _log: Logger): Promise<SpeechRecognizer> {
  throw new Error(`speech recognizer '${config.asr?.kind}' is not available in this build`);
}

export async function createTts(config: Config['models'], _log: Logger): Promise<SpeechSynthesizer> {
  const tts = config.tts;
  if (tts?.kind === 'espeak') {
    const { createEspeakSynthesizer } = await import('../models/tts/espeak/index.js');
    return createEspeakSynthesizer({ defaultVoice: tts.defaultVoice });
  }
  throw new Error(`speech synthesizer '${tts?.kind}' is not available in this build`);
}

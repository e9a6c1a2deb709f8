// Embedded models on onnxruntime-node: Whisper ASR, a chat LLM as generator and monitor, a
// SmolVLM-class vision-language model. See README.md in this folder.

export { createEmbeddedModelSet, createEmbeddedChat, createEmbeddedAsr } from './model-set.js';
export type { EmbeddedChat, EmbeddedOptions, EmbeddedLog } from './model-set.js';
export { EmbeddedModelError, isEmbeddedModelError } from './errors.js';
export type { EmbeddedErrorCode } from './errors.js';
export { ChatEngine } from './chat/chat-engine.js';
export type { ChatEngineOptions } from './chat/chat-engine.js';
export { EmbeddedChatInstance } from './chat/chat-instance.js';
export { WhisperRecognizer } from './asr/whisper.js';
export { resolveStateTokens, VITA_STATE_STRINGS, PLAIN_STATE_STRINGS } from './chat/state-tokens.js';
export { SmartTurnModel, smartTurnInput, usableForSmartTurn, SMART_TURN_BINS, SMART_TURN_FRAMES } from './turn/smart-turn.js';
export { WorkerSmartTurnModel } from './turn/worker-smart-turn.js';

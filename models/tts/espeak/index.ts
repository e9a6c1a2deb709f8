export { createEspeakSynthesizer, EspeakSynthesizer, UnknownVoiceError, type EspeakEngineChoice, type EspeakSynthesizerOptions } from './synthesizer.js';
export { EngineUnavailableError, type EspeakEngine, type EspeakEngineName } from './engine.js';
export { ESPEAK_VOICES, OPENAI_VOICE_MAP, resolveEspeakVoice, wordsPerMinute } from './voices.js';

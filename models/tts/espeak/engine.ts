import type { SpeechChunk } from '../../types.js';

// One way of running espeak-ng. The synthesizer (synthesizer.ts) resolves voice
// names and speed and picks an engine; engines only turn text into audio.

export type EspeakEngineName = 'libespeak' | 'cli' | 'wasm';

export interface EngineRequest {
  text: string;
  /** An espeak voice spec such as `en-us+f3`. */
  voice: string;
  wordsPerMinute: number;
  signal?: AbortSignal;
}

export interface EspeakEngine {
  readonly name: EspeakEngineName;
  readonly sampleRate: number;
  /** Whether chunks carry `words` timings. */
  readonly wordTimings: boolean;
  /** Whether audio arrives before the whole request is synthesized. */
  readonly streaming: boolean;
  readonly minWordsPerMinute: number;
  readonly maxWordsPerMinute: number;
  /**
   * Yields the audio in order. Word timings are ms from the request's first sample.
   * When `signal` aborts, pending synthesis stops at once and the iteration ends
   * without an error (callers check their own signal).
   */
  synthesize(request: EngineRequest): AsyncIterable<SpeechChunk>;
  close(): Promise<void>;
}

/** A failure to start an engine, with the reason to report (`tts` capability status). */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

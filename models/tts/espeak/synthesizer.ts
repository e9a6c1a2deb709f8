import type { SpeechChunk, SpeechSynthesizer, SynthesizeRequest } from '../../types.js';
import { EngineUnavailableError, type EspeakEngine, type EspeakEngineName } from './engine.js';
import { LibEspeakEngine } from './libespeak-engine.js';
import { EspeakCliEngine } from './cli-engine.js';
import { EspeakWasmEngine } from './wasm-engine.js';
import { ESPEAK_VOICES, resolveEspeakVoice, wordsPerMinute } from './voices.js';

// The embedded speech synthesizer. Engines, in the order `auto` tries them.
// Measured by scripts/bench/voice-tts.ts (2 shared, busy cores; ranges over 4 runs):
//   libespeak  Debian libespeak-ng through a Python ctypes worker (word timings
//              from espeak's synth events). First audio of a clause 1.3-3.8 ms,
//              RTF 0.0011-0.0016, streams (pieces of <= 200 ms), start 120-390 ms.
//   cli        Debian `espeak-ng --stdout`, one process per request: first audio
//              8-60 ms (process start), RTF 0.0015-0.0067, streams, no word timings.
//   wasm       text2wav (espeak-ng in WebAssembly; needs only `npm ci`): first audio
//              = whole request, 70-250 ms per clause (espeak reloads its data on
//              every run), RTF 0.005-0.015, no streaming, no word timings, at most
//              450 wpm; runs in a worker thread, off the event loop.
// libespeak is the default: fastest to first audio and the only one with word
// timings (word-level truncation). cli costs ~90 lines and covers hosts with the
// Debian package but no Python (slim images); wasm is the always-there fallback.

export type EspeakEngineChoice = 'auto' | EspeakEngineName;

export interface EspeakSynthesizerOptions {
  /** Default `auto`: the first engine that starts, in the order above. */
  engine?: EspeakEngineChoice;
  /** Voice when a request names none (an OpenAI name or an espeak spec). Default `en-us`. */
  defaultVoice?: string;
  /** Python interpreter for the libespeak engine (default `python3`). */
  python?: string;
  /** espeak-ng program for the cli engine (default `espeak-ng`). */
  program?: string;
  /** CPU niceness of the libespeak and cli engines' processes (process-priority.ts; default 10). */
  niceness?: number;
}

export class UnknownVoiceError extends Error {
  override name = 'UnknownVoiceError';
}

const ENGINE_ORDER: readonly EspeakEngineName[] = ['libespeak', 'cli', 'wasm'];

function startEngine(name: EspeakEngineName, options: EspeakSynthesizerOptions): Promise<EspeakEngine> {
  switch (name) {
    case 'libespeak':
      return LibEspeakEngine.start({ python: options.python, niceness: options.niceness });
    case 'cli':
      return EspeakCliEngine.start(options.program, options.niceness);
    case 'wasm':
      return EspeakWasmEngine.start();
  }
}

/** Starts the chosen engine (or the first that works); EngineUnavailableError lists every reason otherwise. */
export async function createEspeakSynthesizer(options: EspeakSynthesizerOptions = {}): Promise<EspeakSynthesizer> {
  const choice = options.engine ?? 'auto';
  const candidates = choice === 'auto' ? ENGINE_ORDER : [choice];
  const skipped: Partial<Record<EspeakEngineName, string>> = {};
  for (const name of candidates) {
    try {
      return new EspeakSynthesizer(await startEngine(name, options), options.defaultVoice ?? 'en-us', skipped);
    } catch (err) {
      skipped[name] = (err as Error).message;
    }
  }
  throw new EngineUnavailableError(`no espeak-ng engine could start: ${Object.entries(skipped).map(([n, why]) => `${n}: ${why}`).join('; ')}`);
}

export class EspeakSynthesizer implements SpeechSynthesizer {
  readonly id: string;
  readonly voices = ESPEAK_VOICES;
  readonly defaultVoice: string;

  constructor(
    readonly engine: EspeakEngine,
    defaultVoice: string,
    /** Engines tried before this one and why they did not start. */
    readonly skipped: Readonly<Partial<Record<EspeakEngineName, string>>> = {},
  ) {
    this.id = `espeak:${engine.name}`;
    const resolved = resolveEspeakVoice(defaultVoice);
    if (!resolved) throw new UnknownVoiceError(`unknown voice ${JSON.stringify(defaultVoice)}`);
    this.defaultVoice = resolved;
  }

  get sampleRate(): number {
    return this.engine.sampleRate;
  }

  /** Whether chunks carry word timings (truncation at the word rather than the chunk). */
  get wordTimings(): boolean {
    return this.engine.wordTimings;
  }

  /**
   * Streams speech for `text`. Word timings, when the engine has them, are ms from
   * the request's first sample; a word is reported in the first chunk emitted after
   * its end is known (a last chunk may carry only words and no samples). An abort
   * stops synthesis at once and ends the iteration without an error. Throws
   * UnknownVoiceError for a name that cannot be an espeak voice or that the
   * installed data lacks.
   */
  async *synthesize(request: SynthesizeRequest): AsyncGenerator<SpeechChunk> {
    const voice = request.voice === undefined ? this.defaultVoice : resolveEspeakVoice(request.voice);
    if (!voice) throw new UnknownVoiceError(`unknown voice ${JSON.stringify(request.voice)}`);
    if (request.text.trim() === '' || request.signal?.aborted) return;
    const rate = wordsPerMinute(request.speed, this.engine.minWordsPerMinute, this.engine.maxWordsPerMinute);
    try {
      yield* this.engine.synthesize({ text: request.text, voice, wordsPerMinute: rate, signal: request.signal });
    } catch (err) {
      if (/voice/i.test((err as Error).message)) throw new UnknownVoiceError(`unknown voice ${JSON.stringify(request.voice ?? voice)}`);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

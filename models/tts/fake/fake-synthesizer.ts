import type { SpeechChunk, SpeechSynthesizer, SynthesizeRequest } from '../../types.js';

// A deterministic synthesizer for tests and benchmarks: every whitespace-delimited
// word is a tone of `msPerChar` x its length (divided by `speed`), words back to
// back, one chunk per word, with exact word timings (or none). No real speech,
// but durations and timings are known in advance, so truncation can be checked
// to the sample.

export interface FakeSynthesizerOptions {
  sampleRate?: number;
  msPerChar?: number;
  wordTimings?: boolean;
  /** Tone frequency; the amplitude is 0.3. */
  hz?: number;
}

export interface FakeWordPlan {
  text: string;
  startMs: number;
  endMs: number;
}

export class FakeSynthesizer implements SpeechSynthesizer {
  readonly id = 'fake';
  readonly voices = ['fake'];
  readonly sampleRate: number;
  readonly msPerChar: number;
  readonly wordTimings: boolean;
  private readonly hz: number;
  /** Texts of every request, in order (tests check what was synthesized). */
  readonly requests: string[] = [];

  constructor(options: FakeSynthesizerOptions = {}) {
    this.sampleRate = options.sampleRate ?? 16000;
    this.msPerChar = options.msPerChar ?? 50;
    this.wordTimings = options.wordTimings ?? true;
    this.hz = options.hz ?? 440;
  }

  /** The words of `text` with the timings synthesize() will give them (ms from the request start). */
  plan(text: string, speed = 1): FakeWordPlan[] {
    const words: FakeWordPlan[] = [];
    let at = 0;
    for (const word of text.split(/\s+/).filter(Boolean)) {
      const samples = this.samplesFor(word, speed);
      words.push({ text: word, startMs: (at * 1000) / this.sampleRate, endMs: ((at + samples) * 1000) / this.sampleRate });
      at += samples;
    }
    return words;
  }

  async *synthesize(request: SynthesizeRequest): AsyncGenerator<SpeechChunk> {
    this.requests.push(request.text);
    let at = 0;
    for (const word of this.plan(request.text, request.speed)) {
      await Promise.resolve(); // asynchronous like a real engine
      if (request.signal?.aborted) return;
      const count = this.samplesFor(word.text, request.speed);
      const samples = new Float32Array(count);
      for (let i = 0; i < count; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * this.hz * (at + i)) / this.sampleRate);
      at += count;
      yield this.wordTimings ? { samples, sampleRate: this.sampleRate, words: [word] } : { samples, sampleRate: this.sampleRate };
    }
  }

  async close(): Promise<void> {}

  private samplesFor(word: string, speed = 1): number {
    return Math.round((word.length * this.msPerChar * this.sampleRate) / 1000 / speed);
  }
}

import type { SpeechSynthesizer } from '../../models/types.js';
import { TextChunker } from './text-chunker.js';
import { OutputAudioEncoder, outputBytesPerSample, outputSampleRate, type OutputAudioFormat } from './output-format.js';
import { toSpeakableText } from './speakable.js';
import { heardText, type TimedChunk } from './heard-text.js';

// The speech of one response: text deltas in, encoded audio frames out, each
// frame knowing the text it carries. Text is cut into clauses (text-chunker.ts);
// each clause is synthesized while the LLM keeps generating, at most
// `chunksAhead` clauses beyond the one being played, so an interrupt wastes
// little synthesis. The first frame of a clause carries the clause's text, so
// `response.output_audio_transcript.delta` (frame.text) goes out with the audio
// that speaks it (`response.output_audio.delta`, frame.audio). A clause that
// produces no audio (only whitespace or symbols) gives one frame with empty audio:
// send its transcript delta alone.

export interface SpeechTrackOptions {
  tts: SpeechSynthesizer;
  format?: OutputAudioFormat;
  voice?: string;
  speed?: number;
  minChunkChars?: number;
  maxChunkChars?: number;
  /** Audio per frame (the last frame of a clause may be shorter). Default 100. */
  frameMs?: number;
  /** Clauses synthesized beyond the one whose frames are being taken (the first, before any is taken). Default 1. */
  chunksAhead?: number;
  /** What the TTS is given for a clause (default: markdown stripped). */
  speakable?: (text: string) => string;
}

export interface SpeechFrame {
  /** Encoded in the track's output format. */
  audio: Uint8Array;
  /** Transcript delta carried by this frame ('' except on a clause's first frame). */
  text: string;
  /** Position on the response's audio timeline. */
  startMs: number;
  durationMs: number;
  chunkIndex: number;
}

export class SpeechTrack implements AsyncIterable<SpeechFrame> {
  readonly format: OutputAudioFormat;
  private readonly tts: SpeechSynthesizer;
  private readonly options: SpeechTrackOptions;
  private readonly chunker: TextChunker;
  private readonly abort = new AbortController();
  private readonly frameBytes: number;
  private readonly chunksAhead: number;
  private encoder: OutputAudioEncoder | null = null;
  private encoderRate = 0;
  private readonly texts: string[] = [];
  private textEnded = false;
  private readonly chunks: TimedChunk[] = [];
  private readonly frames: SpeechFrame[] = [];
  private framesEnded = false;
  private failure: Error | null = null;
  private outputSamples = 0;
  private takenIndex = -1;
  private emitted = 0;
  private allText = '';
  private wakeSynthesis: (() => void) | null = null;
  private wakeConsumer: (() => void) | null = null;

  constructor(options: SpeechTrackOptions) {
    this.options = options;
    this.tts = options.tts;
    this.format = options.format ?? 'audio/pcm';
    this.chunker = new TextChunker({ minChunkChars: options.minChunkChars, maxChunkChars: options.maxChunkChars });
    const frameMs = options.frameMs ?? 100;
    this.frameBytes = Math.max(1, Math.round((frameMs * outputSampleRate(this.format)) / 1000)) * outputBytesPerSample(this.format);
    this.chunksAhead = Math.max(0, options.chunksAhead ?? 1);
    void this.synthesisLoop();
  }

  /** A text delta from the generator. Ignored after endText() or cancel(). */
  pushText(delta: string): void {
    if (this.textEnded || this.cancelled) return;
    this.allText += delta;
    this.queueTexts(this.chunker.push(delta));
  }

  /** The generator finished: the rest of the text is spoken. */
  endText(): void {
    if (this.textEnded || this.cancelled) return;
    this.queueTexts(this.chunker.flush());
    this.textEnded = true;
    this.wakeSynthesis?.();
  }

  /** Stops at once: pending synthesis aborted, no further frame is handed out. */
  cancel(): void {
    if (this.cancelled) return;
    this.abort.abort();
    this.frames.length = 0;
    this.texts.length = 0;
    this.wakeSynthesis?.();
    this.wakeConsumer?.();
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** All text pushed so far (the full transcript when nothing was cut). */
  get text(): string {
    return this.allText;
  }

  /** Audio handed out so far, ms. */
  get emittedMs(): number {
    return this.emitted;
  }

  /**
   * The text heard when playback stopped at `audioEndMs` (clamped to the audio
   * handed out): whole clauses before that point, then, in the clause playing,
   * the words whose middle was played (clauses without word timings count when
   * more than half of them was played). See heard-text.ts.
   */
  truncateAt(audioEndMs: number): string {
    return heardText(this.chunks, Math.min(audioEndMs, this.emitted));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SpeechFrame> {
    for (;;) {
      if (this.cancelled) return;
      const frame = this.frames.shift();
      if (frame) {
        this.takenIndex = frame.chunkIndex;
        this.emitted = frame.startMs + frame.durationMs;
        this.wakeSynthesis?.();
        yield frame;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.framesEnded) return;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
      this.wakeConsumer = null;
    }
  }

  private queueTexts(texts: string[]): void {
    if (texts.length === 0) return;
    this.texts.push(...texts);
    this.wakeSynthesis?.();
  }

  private async synthesisLoop(): Promise<void> {
    try {
      for (let index = 0; ; index++) {
        while (!this.cancelled && (this.texts.length === 0 ? !this.textEnded : index > Math.max(this.takenIndex, 0) + this.chunksAhead)) {
          await new Promise<void>((resolve) => (this.wakeSynthesis = resolve));
          this.wakeSynthesis = null;
        }
        const text = this.texts.shift();
        if (this.cancelled || text === undefined) break;
        await this.synthesizeChunk(index, text);
      }
    } catch (err) {
      if (!this.cancelled) this.failure = err as Error;
    } finally {
      this.framesEnded = true;
      this.wakeConsumer?.();
    }
  }

  private async synthesizeChunk(index: number, text: string): Promise<void> {
    const rate = outputSampleRate(this.format);
    const chunk: TimedChunk = { text, startMs: (this.outputSamples * 1000) / rate, durationMs: 0, words: [] };
    this.chunks.push(chunk);
    let pendingText = text;
    let buffer = new Uint8Array(this.frameBytes);
    let filled = 0;
    const emit = (bytes: Uint8Array) => {
      const samples = bytes.length / outputBytesPerSample(this.format);
      this.frames.push({ audio: bytes, text: pendingText, startMs: (this.outputSamples * 1000) / rate, durationMs: (samples * 1000) / rate, chunkIndex: index });
      pendingText = '';
      this.outputSamples += samples;
      chunk.durationMs += (samples * 1000) / rate;
      this.wakeConsumer?.();
    };
    const take = (bytes: Uint8Array) => {
      for (let at = 0; at < bytes.length; ) {
        const n = Math.min(bytes.length - at, this.frameBytes - filled);
        buffer.set(bytes.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === this.frameBytes) {
          emit(buffer);
          buffer = new Uint8Array(this.frameBytes);
          filled = 0;
        }
      }
    };
    const speak = (this.options.speakable ?? toSpeakableText)(text);
    if (speak.trim() !== '') {
      const stream = this.tts.synthesize({ text: speak, voice: this.options.voice, speed: this.options.speed, signal: this.abort.signal });
      let wordCursor = 0;
      for await (const piece of stream) {
        if (this.cancelled) return;
        if (!this.encoder || this.encoderRate !== piece.sampleRate) this.startEncoder(piece.sampleRate, take);
        for (const word of piece.words ?? []) {
          const at = text.indexOf(word.text, wordCursor);
          if (at < 0) continue;
          let end = at + word.text.length;
          while (end < text.length && !/\s/.test(text[end])) end++; // the whole token, markup included
          chunk.words.push({ end, startMs: chunk.startMs + word.startMs, endMs: chunk.startMs + word.endMs });
          wordCursor = end;
        }
        take(this.encoder!.encode(piece.samples));
      }
      if (this.cancelled) return;
      if (this.encoder) take(this.encoder.flush());
    }
    if (filled > 0 || pendingText !== '') emit(buffer.slice(0, filled));
  }

  private startEncoder(inputRate: number, take: (bytes: Uint8Array) => void): void {
    if (this.encoder) take(this.encoder.flush());
    this.encoder = new OutputAudioEncoder(this.format, inputRate);
    this.encoderRate = inputRate;
  }
}

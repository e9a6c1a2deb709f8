// Client input audio (PCM16 24/16 kHz, G.711 mu-law/A-law 8 kHz) -> the pipeline's
// 16 kHz mono float. One decoder per session: it keeps the resampler's state, so
// audio split across any number of messages decodes exactly as if sent at once.
import { findAudioFormat, type AudioFormatSpec } from './formats.js';
import { StreamingResampler } from './resample.js';
import { PIPELINE_SAMPLE_RATE, type InputAudioFormat } from './types.js';

/** Bad input audio; `code` is the protocol error code. The session stays usable. */
export class InputAudioError extends Error {
  readonly code = 'invalid_audio';
  constructor(message: string) {
    super(message);
    this.name = 'InputAudioError';
  }
}

/** The registry row of an input format; InputAudioError when clients may not send it. */
export function inputFormatSpec(format: InputAudioFormat): AudioFormatSpec {
  const spec = findAudioFormat(format);
  if (!spec || !spec.input) {
    const rate = 'rate' in format ? ` rate ${String(format.rate)}` : '';
    throw new InputAudioError(`unsupported input audio format ${String((format as { type: unknown }).type)}${rate}`);
  }
  return spec;
}

export function inputSampleRate(format: InputAudioFormat): number {
  return inputFormatSpec(format).rate;
}

/** Bytes per input sample of a format. */
export function inputBytesPerSample(format: InputAudioFormat): number {
  return inputFormatSpec(format).bytesPerSample;
}

export class InputAudioDecoder {
  private currentFormat: InputAudioFormat;
  private spec: AudioFormatSpec;
  private rate: number;
  private resampler: StreamingResampler;
  /** Decoded input-rate samples, reused between calls (the resampler copies what it keeps). */
  private scratch = new Float32Array(0);
  private samplesIn = 0;
  private secondsBefore = 0;

  constructor(format: InputAudioFormat) {
    this.spec = inputFormatSpec(format);
    this.rate = this.spec.rate;
    this.currentFormat = format;
    this.resampler = new StreamingResampler(this.rate, PIPELINE_SAMPLE_RATE);
  }

  get format(): InputAudioFormat {
    return this.currentFormat;
  }

  /** Seconds of client audio decoded so far (at the client's rate, across format changes). */
  get inputSeconds(): number {
    return this.secondsBefore + this.samplesIn / this.rate;
  }

  /**
   * Switches format (session.update). Audio of the old format still held by the resampler
   * is returned (zero-padded tail) so nothing is lost; the next chunk starts a new stream.
   */
  setFormat(format: InputAudioFormat): Float32Array {
    const spec = inputFormatSpec(format);
    const rate = spec.rate;
    this.spec = spec;
    if (format.type === this.currentFormat.type && rate === this.rate) {
      this.currentFormat = format;
      return new Float32Array(0);
    }
    const tail = this.resampler.flush();
    this.secondsBefore += this.samplesIn / this.rate;
    this.samplesIn = 0;
    this.currentFormat = format;
    this.rate = rate;
    this.resampler = new StreamingResampler(rate, PIPELINE_SAMPLE_RATE);
    return tail;
  }

  /**
   * Decodes one message's bytes to 16 kHz float. The result is a fresh array the caller may keep.
   * Throws InputAudioError (nothing consumed) on PCM16 with an odd byte count.
   */
  decode(bytes: Uint8Array): Float32Array {
    const count = bytes.length / this.spec.bytesPerSample;
    if (!Number.isInteger(count)) throw new InputAudioError(`PCM16 audio must have an even number of bytes, got ${bytes.length}`);
    if (count === 0) return new Float32Array(0);
    // With equal rates the resampler hands its input back, so decode into an array we give away.
    const decoded = this.rate === PIPELINE_SAMPLE_RATE ? new Float32Array(count) : this.scratchOf(count);
    this.spec.decode(bytes, decoded);
    this.samplesIn += count;
    return this.resampler.process(decoded);
  }

  /** Ends the stream: returns what the resampler still holds (its look-ahead, zero-padded). */
  flush(): Float32Array {
    return this.resampler.flush();
  }

  /** Forgets the resampler's history and the counters (the format stays). */
  reset(): void {
    this.resampler.reset();
    this.samplesIn = 0;
    this.secondsBefore = 0;
  }

  private scratchOf(count: number): Float32Array {
    if (this.scratch.length < count) this.scratch = new Float32Array(Math.max(count, this.scratch.length * 2));
    return this.scratch.subarray(0, count);
  }
}

// Client input audio (PCM16 24/16 kHz, G.711 mu-law/A-law 8 kHz) -> the pipeline's
// 16 kHz mono float. One decoder per session: it keeps the resampler's state, so
// audio split across any number of messages decodes exactly as if sent at once.
import { A_LAW_DECODE_FLOAT, MU_LAW_DECODE_FLOAT } from './g711.js';
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

export function inputSampleRate(format: InputAudioFormat): number {
  switch (format.type) {
    case 'audio/pcm':
      if (format.rate !== 24000 && format.rate !== 16000) throw new InputAudioError(`unsupported audio/pcm rate ${String(format.rate)}`);
      return format.rate;
    case 'audio/pcmu':
    case 'audio/pcma':
      return 8000;
    default:
      throw new InputAudioError(`unsupported input audio format ${String((format as { type: unknown }).type)}`);
  }
}

/** Bytes per input sample of a format. */
export function inputBytesPerSample(format: InputAudioFormat): number {
  return format.type === 'audio/pcm' ? 2 : 1;
}

export class InputAudioDecoder {
  private currentFormat: InputAudioFormat;
  private rate: number;
  private resampler: StreamingResampler;
  /** Decoded input-rate samples, reused between calls (the resampler copies what it keeps). */
  private scratch = new Float32Array(0);
  private samplesIn = 0;
  private secondsBefore = 0;

  constructor(format: InputAudioFormat) {
    this.rate = inputSampleRate(format);
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
    const rate = inputSampleRate(format);
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
    const format = this.currentFormat;
    const count = format.type === 'audio/pcm' ? bytes.length / 2 : bytes.length;
    if (!Number.isInteger(count)) throw new InputAudioError(`PCM16 audio must have an even number of bytes, got ${bytes.length}`);
    if (count === 0) return new Float32Array(0);
    // With equal rates the resampler hands its input back, so decode into an array we give away.
    const decoded = this.rate === PIPELINE_SAMPLE_RATE ? new Float32Array(count) : this.scratchOf(count);
    if (format.type === 'audio/pcm') {
      for (let i = 0, j = 0; i < count; i++, j += 2) decoded[i] = (((bytes[j] | (bytes[j + 1] << 8)) << 16) >> 16) / 32768;
    } else {
      const table = format.type === 'audio/pcmu' ? MU_LAW_DECODE_FLOAT : A_LAW_DECODE_FLOAT;
      for (let i = 0; i < count; i++) decoded[i] = table[bytes[i]];
    }
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

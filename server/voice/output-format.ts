import { StreamingResampler } from '../audio/resample.js';
import { AUDIO_FORMATS, findAudioFormat, type AudioFormatSpec } from '../audio/formats.js';

// TTS output (float samples at the engine's rate, 22.05 kHz for espeak) to the
// session's `output_audio_format`: PCM16 LE 24 kHz (Realtime default) or G.711
// mu-law / A-law at 8 kHz.

export type OutputAudioFormat = 'audio/pcm' | 'audio/pcmu' | 'audio/pcma';
/** Output formats (one per wire type: output PCM is 24 kHz only), from the format registry. */
export const OUTPUT_AUDIO_FORMATS: readonly OutputAudioFormat[] = AUDIO_FORMATS.filter((f) => f.output).map((f) => f.type);

export function outputFormatSpec(format: OutputAudioFormat): AudioFormatSpec {
  const spec = AUDIO_FORMATS.find((f) => f.output && f.type === format) ?? findAudioFormat({ type: format });
  if (!spec) throw new Error(`unknown output audio format ${format}`);
  return spec;
}

export function outputSampleRate(format: OutputAudioFormat): number {
  return outputFormatSpec(format).rate;
}

export function outputBytesPerSample(format: OutputAudioFormat): number {
  return outputFormatSpec(format).bytesPerSample;
}

/** Float [-1, 1] -> int16, rounded and clipped. */
export function floatToInt16(samples: Float32Array, out: Int16Array = new Int16Array(samples.length)): Int16Array {
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i] * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Whether typed arrays hold their elements little-endian here (then PCM16 LE is an Int16Array's own bytes). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One stream's encoder: resamples with filter state carried across calls, then encodes. */
export class OutputAudioEncoder {
  readonly format: OutputAudioFormat;
  readonly sampleRate: number;
  readonly bytesPerSample: number;
  private readonly spec: AudioFormatSpec;
  private readonly resampler: StreamingResampler;

  constructor(format: OutputAudioFormat, inputRate: number) {
    this.format = format;
    this.spec = outputFormatSpec(format);
    this.sampleRate = this.spec.rate;
    this.bytesPerSample = this.spec.bytesPerSample;
    this.resampler = new StreamingResampler(inputRate, this.sampleRate);
  }

  /** Encoded bytes for the next samples (the resampler holds back a few ms of look-ahead). */
  encode(samples: Float32Array): Uint8Array {
    return this.encodeResampled(this.resampler.process(samples));
  }

  /** Ends the stream: the held-back tail, so the output has the input's exact duration. Then ready for a new stream. */
  flush(): Uint8Array {
    return this.encodeResampled(this.resampler.flush());
  }

  private encodeResampled(samples: Float32Array): Uint8Array {
    const pcm = floatToInt16(samples);
    // The same bytes the format's encoder writes, without a second pass and copy per piece.
    if (this.format === 'audio/pcm' && LITTLE_ENDIAN) return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    return this.spec.encode(pcm);
  }
}

/** Encoded output bytes -> float samples at the format's rate (clients, tests, benchmarks). */
export function decodeOutputAudio(format: OutputAudioFormat, bytes: Uint8Array): Float32Array {
  const spec = outputFormatSpec(format);
  const out = new Float32Array(Math.floor(bytes.length / spec.bytesPerSample));
  spec.decode(bytes, out);
  return out;
}

/** Duration of `byteLength` encoded bytes, ms. */
export function encodedDurationMs(format: OutputAudioFormat, byteLength: number): number {
  return (byteLength / outputBytesPerSample(format) / outputSampleRate(format)) * 1000;
}

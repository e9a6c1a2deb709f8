import { StreamingResampler } from '../audio/resample.js';
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from '../audio/g711.js';

// TTS output (float samples at the engine's rate, 22.05 kHz for espeak) to the
// session's `output_audio_format`: PCM16 LE 24 kHz (Realtime default) or G.711
// mu-law / A-law at 8 kHz.

export type OutputAudioFormat = 'audio/pcm' | 'audio/pcmu' | 'audio/pcma';
export const OUTPUT_AUDIO_FORMATS: readonly OutputAudioFormat[] = ['audio/pcm', 'audio/pcmu', 'audio/pcma'];

export function outputSampleRate(format: OutputAudioFormat): number {
  return format === 'audio/pcm' ? 24000 : 8000;
}

export function outputBytesPerSample(format: OutputAudioFormat): number {
  return format === 'audio/pcm' ? 2 : 1;
}

/** Float [-1, 1] -> int16, rounded and clipped. */
export function floatToInt16(samples: Float32Array, out: Int16Array = new Int16Array(samples.length)): Int16Array {
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i] * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

function int16ToBytes(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length * 2);
  for (let i = 0, b = 0; i < pcm.length; i++, b += 2) {
    out[b] = pcm[i] & 0xff;
    out[b + 1] = (pcm[i] >> 8) & 0xff;
  }
  return out;
}

/** One stream's encoder: resamples with filter state carried across calls, then encodes. */
export class OutputAudioEncoder {
  readonly format: OutputAudioFormat;
  readonly sampleRate: number;
  readonly bytesPerSample: number;
  private readonly resampler: StreamingResampler;

  constructor(format: OutputAudioFormat, inputRate: number) {
    this.format = format;
    this.sampleRate = outputSampleRate(format);
    this.bytesPerSample = outputBytesPerSample(format);
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
    if (this.format === 'audio/pcmu') return encodeMuLaw(pcm);
    if (this.format === 'audio/pcma') return encodeALaw(pcm);
    return int16ToBytes(pcm);
  }
}

/** Encoded output bytes -> float samples at the format's rate (clients, tests, benchmarks). */
export function decodeOutputAudio(format: OutputAudioFormat, bytes: Uint8Array): Float32Array {
  let pcm: Int16Array;
  if (format === 'audio/pcmu') pcm = decodeMuLaw(bytes);
  else if (format === 'audio/pcma') pcm = decodeALaw(bytes);
  else {
    pcm = new Int16Array(bytes.length >> 1);
    for (let i = 0, b = 0; i < pcm.length; i++, b += 2) pcm[i] = ((bytes[b] | (bytes[b + 1] << 8)) << 16) >> 16;
  }
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i] / 32768;
  return out;
}

/** Duration of `byteLength` encoded bytes, ms. */
export function encodedDurationMs(format: OutputAudioFormat, byteLength: number): number {
  return (byteLength / outputBytesPerSample(format) / outputSampleRate(format)) * 1000;
}

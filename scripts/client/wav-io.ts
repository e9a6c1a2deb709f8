import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resample } from '../../server/audio/resample.js';

const wav = createRequire(import.meta.url)('node-wav') as {
  decode(buffer: Buffer): { sampleRate: number; channelData: Float32Array[] };
  encode(channels: Float32Array[], options: { sampleRate: number; float: boolean; bitDepth: number }): Buffer;
};

/** Input rates Duet accepts as raw PCM16: 16 kHz (Duet extension) and the 24 kHz default. */
export type SessionInputRate = 16000 | 24000;

export interface PcmInput {
  rate: SessionInputRate;
  /** PCM16 little-endian mono at `rate`. */
  pcm: Buffer;
  durationMs: number;
}

/** Reads a WAV (any rate, any channel count), mixes to mono and resamples to a rate the session takes. */
export function loadWavAsPcm16(path: string): PcmInput {
  const decoded = wav.decode(readFileSync(path));
  const channels = decoded.channelData;
  if (channels.length === 0 || channels[0]!.length === 0) throw new Error(`${path}: no audio samples`);
  const mono = new Float32Array(channels[0]!.length);
  for (const channel of channels) for (let i = 0; i < mono.length; i++) mono[i] += channel[i]! / channels.length;
  // 16 kHz files go as they are (the server's pipeline rate); anything else is resampled once to 24 kHz.
  const rate: SessionInputRate = decoded.sampleRate === 16000 ? 16000 : 24000;
  const samples = resample(mono, decoded.sampleRate, rate);
  return { rate, pcm: floatToPcm16(samples), durationMs: (samples.length * 1000) / rate };
}

export function floatToPcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    out.writeInt16LE(Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), i * 2);
  }
  return out;
}

export function pcm16ToFloat(pcm: Buffer): Float32Array {
  const out = new Float32Array(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(i * 2) / 0x8000;
  return out;
}

export function writeWav(path: string, samples: Float32Array, sampleRate: number): void {
  writeFileSync(path, wav.encode([samples], { sampleRate, float: false, bitDepth: 16 }));
}

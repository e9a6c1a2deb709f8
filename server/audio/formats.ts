// The one registry of wire audio formats: a new input or output format is one row here (and its
// literal in protocol/schema/session.ts, the wire's own listing).
import { A_LAW_DECODE_FLOAT, MU_LAW_DECODE_FLOAT, encodeALaw, encodeMuLaw } from './g711.js';

export type WireAudioType = 'audio/pcm' | 'audio/pcmu' | 'audio/pcma';

export interface AudioFormatSpec {
  type: WireAudioType;
  /** Samples per second on the wire. */
  rate: number;
  bytesPerSample: number;
  /** The beta (OpenAI-Beta: realtime=v1) name, when the beta protocol has one. */
  betaName: 'pcm16' | 'g711_ulaw' | 'g711_alaw' | null;
  /** Clients may send it / receive it. */
  input: boolean;
  output: boolean;
  /** Wire bytes -> float samples in [-1, 1] at `rate`, into `out` (length = bytes / bytesPerSample). */
  decode(bytes: Uint8Array, out: Float32Array): void;
  /** int16 samples at `rate` -> wire bytes. */
  encode(pcm: Int16Array): Uint8Array;
}

function decodePcm16(bytes: Uint8Array, out: Float32Array): void {
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = (((bytes[j]! | (bytes[j + 1]! << 8)) << 16) >> 16) / 32768;
}

function encodePcm16(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length * 2);
  for (let i = 0, b = 0; i < pcm.length; i++, b += 2) {
    out[b] = pcm[i]! & 0xff;
    out[b + 1] = (pcm[i]! >> 8) & 0xff;
  }
  return out;
}

function tableDecoder(table: Float32Array): AudioFormatSpec['decode'] {
  return (bytes, out) => {
    for (let i = 0; i < out.length; i++) out[i] = table[bytes[i]!]!;
  };
}

export const AUDIO_FORMATS: readonly AudioFormatSpec[] = [
  { type: 'audio/pcm', rate: 24000, bytesPerSample: 2, betaName: 'pcm16', input: true, output: true, decode: decodePcm16, encode: encodePcm16 },
  { type: 'audio/pcm', rate: 16000, bytesPerSample: 2, betaName: null, input: true, output: false, decode: decodePcm16, encode: encodePcm16 },
  { type: 'audio/pcmu', rate: 8000, bytesPerSample: 1, betaName: 'g711_ulaw', input: true, output: true, decode: tableDecoder(MU_LAW_DECODE_FLOAT), encode: (pcm) => encodeMuLaw(pcm) },
  { type: 'audio/pcma', rate: 8000, bytesPerSample: 1, betaName: 'g711_alaw', input: true, output: true, decode: tableDecoder(A_LAW_DECODE_FLOAT), encode: (pcm) => encodeALaw(pcm) },
];

/** PCM's default rate when a client names `audio/pcm` without one (the Realtime default). */
export const DEFAULT_PCM_RATE = 24000;

/** The spec of a wire format `{type, rate?}`, or undefined when Duet has no such format. */
export function findAudioFormat(format: { type: string; rate?: number | undefined }): AudioFormatSpec | undefined {
  const rate = format.type === 'audio/pcm' ? (format.rate ?? DEFAULT_PCM_RATE) : undefined;
  return AUDIO_FORMATS.find((f) => f.type === format.type && (rate === undefined || f.rate === rate));
}

/** The spec of a beta format name. */
export function findBetaAudioFormat(name: string): AudioFormatSpec | undefined {
  return AUDIO_FORMATS.find((f) => f.betaName === name);
}

/** Milliseconds of audio in `byteLength` wire bytes. */
export function wireDurationMs(spec: AudioFormatSpec, byteLength: number): number {
  return (byteLength / spec.bytesPerSample / spec.rate) * 1000;
}

// 16-bit PCM helpers shared by the engines (espeak-ng emits int16 mono).

/** Little-endian int16 bytes -> float samples in [-1, 1). Works on unaligned buffers. */
export function int16BytesToFloat(bytes: Uint8Array, byteOffset = 0, byteLength = bytes.length - byteOffset): Float32Array {
  const count = byteLength >> 1;
  const out = new Float32Array(count);
  for (let i = 0, b = byteOffset; i < count; i++, b += 2) {
    out[i] = (((bytes[b] | (bytes[b + 1] << 8)) << 16) >> 16) / 32768;
  }
  return out;
}

export interface WavLayout {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the first sample. */
  dataOffset: number;
}

/**
 * Reads a RIFF/WAVE header. Returns null while `bytes` does not yet hold the whole
 * header (streamed WAV: espeak-ng --stdout writes a placeholder data size).
 */
export function parseWavHeader(bytes: Uint8Array): WavLayout | null {
  if (bytes.length < 12) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV stream');
  let at = 12;
  let format: Omit<WavLayout, 'dataOffset'> | null = null;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') {
      if (at + 8 + 16 > bytes.length) return null;
      format = { channels: view.getUint16(at + 10, true), sampleRate: view.getUint32(at + 12, true), bitsPerSample: view.getUint16(at + 22, true) };
    } else if (id === 'data') {
      if (!format) throw new Error('WAV data before fmt');
      if (format.bitsPerSample !== 16 || format.channels !== 1) throw new Error(`unsupported WAV: ${format.channels} ch, ${format.bitsPerSample} bit`);
      return { ...format, dataOffset: at + 8 };
    }
    at += 8 + size + (size & 1);
  }
  return null;
}

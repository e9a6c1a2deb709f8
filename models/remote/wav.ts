// PCM16 helpers for the audio endpoints: a WAV file for /audio/transcriptions,
// and a streaming decoder for /audio/speech bodies (raw `pcm`, or a WAV header
// followed by PCM when an engine ignores response_format).

/** 16-bit PCM mono WAV of float samples in [-1, 1] (clamped). */
export function encodeWav16(samples: Float32Array, sampleRate: number): Buffer {
  const dataBytes = samples.length * 2;
  const out = Buffer.allocUnsafe(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    out.writeInt16LE(Math.round(s < 0 ? s * 32768 : s * 32767), 44 + i * 2);
  }
  return out;
}

/**
 * Turns arbitrary byte chunks of little-endian PCM16 into float samples,
 * carrying an odd trailing byte to the next chunk. A body that starts with a
 * RIFF header is parsed up to its `data` chunk first.
 */
export class Pcm16StreamDecoder {
  sampleRate: number;
  #carry: Buffer | null = null;
  #header: Buffer | null;
  #detecting = true;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    this.#header = null;
  }

  /** Samples decoded from this chunk (possibly empty). Throws on an unsupported WAV header. */
  push(chunk: Buffer): Float32Array {
    let bytes = chunk;
    if (this.#detecting) {
      const head = this.#header ? Buffer.concat([this.#header, chunk]) : chunk;
      if (head.length < 4) {
        this.#header = head;
        return new Float32Array(0);
      }
      if (head.toString('ascii', 0, 4) !== 'RIFF') {
        this.#detecting = false;
        this.#header = null;
        bytes = head;
      } else {
        const dataAt = this.#parseWavHeader(head);
        if (dataAt < 0) {
          this.#header = head;
          return new Float32Array(0);
        }
        this.#detecting = false;
        this.#header = null;
        bytes = head.subarray(dataAt);
      }
    }
    if (this.#carry) {
      bytes = Buffer.concat([this.#carry, bytes]);
      this.#carry = null;
    }
    const whole = bytes.length & ~1;
    if (whole < bytes.length) this.#carry = Buffer.from(bytes.subarray(whole));
    const out = new Float32Array(whole / 2);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2) / 32768;
    return out;
  }

  /** Offset of the PCM data, or -1 when the header is not complete yet. */
  #parseWavHeader(head: Buffer): number {
    let at = 12;
    while (at + 8 <= head.length) {
      const id = head.toString('ascii', at, at + 4);
      const size = head.readUInt32LE(at + 4);
      if (id === 'fmt ') {
        if (at + 24 > head.length) return -1;
        const format = head.readUInt16LE(at + 8);
        const channels = head.readUInt16LE(at + 10);
        const bits = head.readUInt16LE(at + 22);
        if (format !== 1 || channels !== 1 || bits !== 16) {
          throw new Error(`unsupported WAV from engine: format ${format}, ${channels} channels, ${bits} bits`);
        }
        this.sampleRate = head.readUInt32LE(at + 12);
      } else if (id === 'data') {
        return at + 8;
      }
      at += 8 + size + (size & 1);
    }
    return -1;
  }
}

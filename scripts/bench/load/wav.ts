import { readFileSync } from 'node:fs';

export interface Pcm16 {
  sampleRate: number;
  samples: Int16Array;
}

/** Reads a mono PCM16 WAV file (the only kind the benchmark feeds: 16 kHz speech). */
export function readPcm16Wav(path: string): Pcm16 {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path}: not a WAV file`);
  let offset = 12;
  let sampleRate = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const bits = buf.readUInt16LE(body + 14);
      sampleRate = buf.readUInt32LE(body + 4);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error(`${path}: expected mono PCM16 (format ${format}, ${channels} ch, ${bits} bit)`);
    } else if (id === 'data') {
      if (sampleRate === 0) throw new Error(`${path}: data before fmt`);
      const end = Math.min(buf.length, body + size);
      const samples = new Int16Array((end - body) >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate, samples };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

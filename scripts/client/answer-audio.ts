import { pcm16ToFloat, writeWav } from './wav-io.js';

/** Collects answer audio (base64 PCM16 24 kHz deltas) and writes it as one WAV. */
export class AnswerAudio {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  add(base64: string): void {
    const chunk = Buffer.from(base64, 'base64');
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  get durationMs(): number {
    return (this.bytes / 2 / 24000) * 1000;
  }

  /** Writes what was received; returns the duration in ms. */
  save(path: string): number {
    writeWav(path, pcm16ToFloat(Buffer.concat(this.chunks, this.bytes)), 24000);
    return this.durationMs;
  }
}

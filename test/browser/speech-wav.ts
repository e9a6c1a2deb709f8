import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const wav = createRequire(import.meta.url)('node-wav') as {
  decode(buffer: Buffer): { sampleRate: number; channelData: Float32Array[] };
  encode(channels: Float32Array[], options: { sampleRate: number; float: boolean; bitDepth: number }): Buffer;
};

/** Spoken words, silence, or `fragmentMs` of spoken words taken from `fromMs` into them (a transient: too short for the VAD's minimum speech). */
export type SpeechPart = { say: string; fromMs?: number; fragmentMs?: number } | { silenceMs: number };

export interface SpeechWav {
  sampleRate: number;
  durationMs: number;
  /** Where each spoken part lies in the file. */
  spoken: { text: string; startMs: number; endMs: number }[];
}

export function espeakAvailable(): boolean {
  return spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Writes a 16-bit mono WAV of espeak-ng speech and silences, in order (espeak's 22.05 kHz). */
export function writeSpeechWav(path: string, parts: SpeechPart[]): SpeechWav {
  const dir = mkdtempSync(join(tmpdir(), 'duet-speech-'));
  try {
    const pieces: Float32Array[] = [];
    const spoken: SpeechWav['spoken'] = [];
    let sampleRate = 22050;
    let samples = 0;
    parts.forEach((part, i) => {
      if ('silenceMs' in part) {
        pieces.push(new Float32Array(Math.round((part.silenceMs * sampleRate) / 1000)));
      } else {
        const file = join(dir, `${i}.wav`);
        const run = spawnSync('espeak-ng', ['-v', 'en-us', '-s', '165', '-w', file, part.say], { encoding: 'utf8' });
        if (run.status !== 0) throw new Error(`espeak-ng failed: ${run.stderr}`);
        const decoded = wav.decode(readFileSync(file));
        sampleRate = decoded.sampleRate;
        const startMs = (samples * 1000) / sampleRate;
        let voice = decoded.channelData[0]!;
        if (part.fragmentMs !== undefined) {
          const from = Math.round(((part.fromMs ?? 0) * sampleRate) / 1000);
          voice = voice.slice(from, from + Math.round((part.fragmentMs * sampleRate) / 1000));
        }
        pieces.push(voice);
        spoken.push({ text: part.say, startMs, endMs: startMs + (voice.length * 1000) / sampleRate });
      }
      samples += pieces[pieces.length - 1]!.length;
    });
    const all = new Float32Array(samples);
    let offset = 0;
    for (const piece of pieces) {
      all.set(piece, offset);
      offset += piece.length;
    }
    writeFileSync(path, wav.encode([all], { sampleRate, float: false, bitDepth: 16 }));
    return { sampleRate, durationMs: (samples * 1000) / sampleRate, spoken };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { resample } from '../../server/audio/resample.js';

const wav = createRequire(import.meta.url)('node-wav') as { decode(buffer: Buffer): { sampleRate: number; channelData: Float32Array[] } };

export function espeakAvailable(): boolean {
  return spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** espeak-ng speech at 16 kHz (voice e.g. 'en-us', 'en-gb+f3'), or null without espeak-ng. */
export function speak(text: string, voice = 'en-us', wordsPerMinute = 165): Float32Array | null {
  // A file, not --stdout: a piped WAV's header carries no length.
  const dir = mkdtempSync(join(tmpdir(), 'duet-espeak-'));
  try {
    const file = join(dir, 'speech.wav');
    const run = spawnSync('espeak-ng', ['-v', voice, '-s', String(wordsPerMinute), '-w', file, text]);
    if (run.status !== 0) return null;
    const decoded = wav.decode(readFileSync(file));
    return resample(decoded.channelData[0]!, decoded.sampleRate, 16000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

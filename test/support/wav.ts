import { readFileSync } from 'node:fs';
import wav from 'node-wav';

/** First channel of a WAV file as float in [-1, 1] (node-wav; the fixtures are 16 kHz mono PCM16). */
export function readWav(path: string | URL): Float32Array {
  const decoded = wav.decode(readFileSync(path));
  const channel = decoded.channelData[0];
  if (!channel) throw new Error(`${String(path)}: no audio`);
  return channel;
}

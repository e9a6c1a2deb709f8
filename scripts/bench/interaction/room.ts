// The acoustic path from the client's loudspeaker back into its own microphone (no echo canceller
// on the client: a Node SDK app, a kiosk, a phone on speaker).
import { between } from './sounds.js';

export interface RoomPath {
  /** Direct loudspeaker -> microphone delay (device buffers + air), ms. */
  delayMs: number;
  /** Gain of the direct path, dB (negative: attenuated). */
  gainDb: number;
  /** Wall reflections: each arrives `delayMs` after the direct sound, `gainDb` relative to it. */
  reflections: { delayMs: number; gainDb: number }[];
}

/**
 * A seeded room: direct path delayed 60-200 ms and attenuated 10-16 dB (a laptop or phone speaker
 * near its microphone, before any echo cancelling), plus two reflections 8-20 ms and 25-45 ms
 * later at -6 and -10 dB relative to the direct sound.
 */
export function room(random: () => number): RoomPath {
  return {
    delayMs: Math.round(between(random, 60, 200)),
    gainDb: Math.round(between(random, -16, -10)),
    reflections: [
      { delayMs: Math.round(between(random, 8, 20)), gainDb: -6 },
      { delayMs: Math.round(between(random, 25, 45)), gainDb: -10 },
    ],
  };
}

/** The taps of a room path: (delay in 16 kHz samples, linear gain), direct path first. */
export function roomTaps(path: RoomPath, perMs: number): { delay: number; gain: number }[] {
  const direct = 10 ** (path.gainDb / 20);
  return [
    { delay: Math.round(path.delayMs * perMs), gain: direct },
    ...path.reflections.map((r) => ({ delay: Math.round((path.delayMs + r.delayMs) * perMs), gain: direct * 10 ** (r.gainDb / 20) })),
  ];
}

/**
 * Adds into `mic` (the chunk of microphone samples starting at stream position `at`) what the
 * loudspeaker played, through the room: mic[i] += sum over taps of gain * speaker[at + i - delay].
 * `speaker` is the loudspeaker signal on the same 16 kHz clock as the microphone stream.
 */
export function addEcho(mic: Float32Array, at: number, speaker: Float32Array, taps: { delay: number; gain: number }[]): void {
  for (const { delay, gain } of taps) {
    for (let i = 0; i < mic.length; i++) {
      const s = at + i - delay;
      if (s >= 0 && s < speaker.length) mic[i]! += gain * speaker[s]!;
    }
  }
}

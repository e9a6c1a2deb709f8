// Whisper's encoder input [1, bins, 3000] (30 s). When the audio front-end already computed the
// segment's log-mel with our `whisper` preset, those features are reused (equal to
// WhisperFeatureExtractor's within 1e-6, see test/models/embedded-whisper.test.ts); the frames
// past the segment get the value Whisper's zero padding produces after its normalisation.

import type { MelFeatures } from '../../types.js';

export const WHISPER_FRAMES = 3000;
export const WHISPER_SAMPLES = 480000;

/** `whisper` or `whisper-128` features of at most 30 s with the model's bin count. */
export function usableMel(mel: MelFeatures | undefined, bins: number): mel is MelFeatures {
  return !!mel && mel.preset.startsWith('whisper') && mel.bins === bins && mel.frames > 0 && mel.frames <= WHISPER_FRAMES;
}

/**
 * Frames x bins (row-major) -> bins x 3000 (row-major), padded. After Whisper's
 * normalisation, (max(x, M - 8) + 4) / 4, zero audio maps to max(top - 2, -1.5) where top is
 * the largest normalised value.
 */
export function melToWhisperInput(mel: MelFeatures): Float32Array {
  const { frames, bins, data } = mel;
  let top = -Infinity;
  for (let i = 0; i < data.length; i++) if (data[i]! > top) top = data[i]!;
  const pad = Math.max(top - 2, -1.5);
  const out = new Float32Array(bins * WHISPER_FRAMES).fill(pad);
  for (let f = 0; f < frames; f++) {
    const row = f * bins;
    for (let b = 0; b < bins; b++) out[b * WHISPER_FRAMES + f] = data[row + b]!;
  }
  return out;
}

import type { MelFeatures } from '../../../models/types.js';
import type { MelOptions } from './options.js';
import { StreamingMelEncoder } from './streaming-encoder.js';

/**
 * Batch reference path: the whole signal through the same per-frame code as streaming, tail
 * padding included, with utterance-level normalisation over all frames.
 */
export function computeMel(samples: Float32Array<ArrayBufferLike>, options: MelOptions): MelFeatures {
  // 2^30 frames (124 days at 10 ms): every frame kept, and still a small integer for V8.
  const encoder = new StreamingMelEncoder({ ...options, maxRetainedFrames: 2 ** 30 });
  encoder.push(samples);
  encoder.finish();
  return encoder.read(0, encoder.frameCount);
}

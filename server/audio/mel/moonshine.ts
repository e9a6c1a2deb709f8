import type { MelFeatures } from '../../../models/types.js';
import { normalizeUtterance } from './normalize.js';
import type { MelOptions } from './options.js';
import { melPreset } from './presets.js';
import { StreamingMelEncoder } from './streaming-encoder.js';

// Model-input layouts of the Moonshine micro CNNs (moonshine-ai/moonshine micro/feature-generation):
// they take [1, 1, n_mels, frames] (bin-major), while MelFeatures are frames x bins.

/** frames x bins -> bins x frames. */
export function toBinMajor(features: MelFeatures, out: Float32Array = new Float32Array(features.frames * features.bins)): Float32Array {
  const { frames, bins, data } = features;
  for (let t = 0; t < frames; t++) for (let b = 0; b < bins; b++) out[b * frames + t] = data[t * bins + b];
  return out;
}

/** The value an all-zero mel energy takes after the log (what the reference pads missing frames with). */
function silentLogValue(o: MelOptions): number {
  if (o.log === 'none') return 0;
  return o.log === 'ln' ? Math.log(o.logFloor) : Math.log10(o.logFloor);
}

/**
 * SpellingCNN input for a clip (LogMelSpectrogram::Compute): centre-padded frames cropped (or
 * padded with log(eps)) to `targetFrames`, standardised over the whole plane, returned bin-major
 * ([n_mels][targetFrames], ready for a [1, 1, n_mels, targetFrames] tensor).
 */
export function spellingModelInput(
  samples: Float32Array<ArrayBufferLike>,
  options: MelOptions = melPreset('moonshine-micro'),
  targetFrames = 128,
): Float32Array {
  const encoder = new StreamingMelEncoder({ ...options, maxRetainedFrames: Math.max(targetFrames, 1) + 8 });
  encoder.push(samples);
  encoder.finish();
  const used = Math.min(encoder.frameCount, targetFrames);
  const plane: MelFeatures = { preset: options.name, frames: targetFrames, bins: options.nMels, data: new Float32Array(targetFrames * options.nMels) };
  encoder.copyFrames(0, used, plane.data);
  plane.data.fill(silentLogValue(options), used * options.nMels);
  normalizeUtterance(plane.data, plane.frames, plane.bins, options);
  return toBinMajor(plane);
}

/**
 * TinyVadCNN streaming input (MelStreamer): one 32 ms frame per 512-sample block, the last
 * `windowFrames` frames standardised together; before the window fills, the oldest columns are
 * log(eps) silence. Keeps only the frames the window needs.
 */
export class TinyVadInput {
  readonly encoder: StreamingMelEncoder;
  readonly windowFrames: number;
  private readonly plane: MelFeatures;
  private readonly out: Float32Array<ArrayBuffer>;
  private readonly silent: number;

  constructor(options: MelOptions = melPreset('moonshine-vad'), windowFrames = 16) {
    this.encoder = new StreamingMelEncoder({ ...options, maxRetainedFrames: windowFrames });
    this.windowFrames = windowFrames;
    const bins = options.nMels;
    this.plane = { preset: options.name, frames: windowFrames, bins, data: new Float32Array(windowFrames * bins) };
    this.out = new Float32Array(windowFrames * bins);
    this.silent = silentLogValue(options);
  }

  /** Pushes audio; returns the number of frames computed so far. */
  push(samples: Float32Array<ArrayBufferLike>): number {
    return this.encoder.push(samples);
  }

  /**
   * The model input for the window ending at frame `endFrame` (exclusive, default: newest), bin-major
   * [n_mels][windowFrames]. The returned array is reused by the next call.
   */
  modelInput(endFrame = this.encoder.frameCount): Float32Array {
    const { windowFrames, plane } = this;
    const bins = plane.bins;
    const available = Math.min(endFrame, windowFrames);
    const missing = windowFrames - available;
    plane.data.fill(this.silent, 0, missing * bins);
    this.encoder.copyFrames(endFrame - available, endFrame, plane.data.subarray(missing * bins));
    normalizeUtterance(plane.data, windowFrames, bins, this.encoder.options);
    return toBinMajor(plane, this.out);
  }

  reset(): void {
    this.encoder.reset();
  }
}

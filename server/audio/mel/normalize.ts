import type { MelOptions } from './options.js';

/**
 * Applies the utterance-level normalisation of `o` in place to `data` (frames x bins, row-major).
 * Frame-level normalisation (global CMVN) is not done here: frames are stored with it applied.
 */
export function normalizeUtterance(data: Float32Array, frames: number, bins: number, o: MelOptions): void {
  if (frames === 0) return;
  const total = frames * bins;
  switch (o.normalization) {
    case 'none':
    case 'global-cmvn':
      return;
    case 'whisper': {
      let max = -Infinity;
      for (let i = 0; i < total; i++) if (data[i] > max) max = data[i];
      const floor = max - o.whisperDynamicRange;
      for (let i = 0; i < total; i++) data[i] = ((data[i] > floor ? data[i] : floor) + 4) / 4;
      return;
    }
    case 'utterance-scalar': {
      // Moonshine micro: one mean, one Bessel-corrected std over the whole plane, std >= stdFloor.
      let sum = 0;
      for (let i = 0; i < total; i++) sum += data[i];
      const mean = sum / total;
      let ssq = 0;
      for (let i = 0; i < total; i++) {
        const d = data[i] - mean;
        ssq += d * d;
      }
      const std = Math.max(Math.sqrt(ssq / (total > 1 ? total - 1 : 1)), o.stdFloor);
      const inv = 1 / std;
      for (let i = 0; i < total; i++) data[i] = (data[i] - mean) * inv;
      return;
    }
    case 'utterance-mvn': {
      for (let b = 0; b < bins; b++) {
        let sum = 0;
        for (let t = 0; t < frames; t++) sum += data[t * bins + b];
        const mean = sum / frames;
        let inv = 1;
        if (o.utteranceNormVars) {
          let ssq = 0;
          for (let t = 0; t < frames; t++) {
            const d = data[t * bins + b] - mean;
            ssq += d * d;
          }
          inv = 1 / Math.max(Math.sqrt(ssq / frames), o.stdFloor);
        }
        for (let t = 0; t < frames; t++) data[t * bins + b] = (data[t * bins + b] - mean) * inv;
      }
      return;
    }
  }
}

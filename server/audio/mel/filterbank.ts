import { resolvedFMax, type MelOptions } from './options.js';

/**
 * Triangular mel filterbank stored as one contiguous run of weights per mel channel:
 * channel m covers FFT bins [start[m], start[m] + length[m]) with weights at offset[m]...
 * (a dense 80 x 201 matrix would be ~90% zeros).
 */
export interface SparseFilterbank {
  nMels: number;
  nBins: number;
  start: Int32Array;
  length: Int32Array;
  offset: Int32Array;
  weights: Float64Array;
}

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 1127 * Math.log(1 + hz / 700);
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

export function melToHz(mel: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 700 * (Math.exp(mel / 1127) - 1);
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

type FilterbankOptions = Pick<
  MelOptions,
  'sampleRate' | 'nFft' | 'nMels' | 'fMin' | 'fMax' | 'melScale' | 'melTriangles' | 'melNorm'
>;

/** Dense weight of channel m at FFT bin k (the reference formula; sparse ranges are cut from it). */
function weightFn(o: FilterbankOptions): (m: number, k: number) => number {
  const { sampleRate, nFft, nMels, melScale } = o;
  const melLo = hzToMel(o.fMin, melScale);
  const melHi = hzToMel(resolvedFMax(o), melScale);
  const edgesMel = new Float64Array(nMels + 2);
  const edgesHz = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) {
    edgesMel[i] = melLo + ((melHi - melLo) * i) / (nMels + 1);
    edgesHz[i] = melToHz(edgesMel[i], melScale);
  }
  const binHz = (k: number) => (k * sampleRate) / nFft;
  if (o.melTriangles === 'mel') {
    // Kaldi: slopes linear in mel; bins up to (excluding) Nyquist; no area normalisation option.
    return (m, k) => {
      if (k >= nFft / 2) return 0;
      const mel = hzToMel(binHz(k), melScale);
      const up = (mel - edgesMel[m]) / (edgesMel[m + 1] - edgesMel[m]);
      const down = (edgesMel[m + 2] - mel) / (edgesMel[m + 2] - edgesMel[m + 1]);
      const w = Math.max(0, Math.min(up, down));
      return o.melNorm === 'slaney' ? (w * 2) / (edgesHz[m + 2] - edgesHz[m]) : w;
    };
  }
  // librosa.filters.mel: triangles linear in Hz between mel-spaced edges.
  return (m, k) => {
    const f = binHz(k);
    const lower = (f - edgesHz[m]) / (edgesHz[m + 1] - edgesHz[m]);
    const upper = (edgesHz[m + 2] - f) / (edgesHz[m + 2] - edgesHz[m + 1]);
    const w = Math.max(0, Math.min(lower, upper));
    return o.melNorm === 'slaney' ? (w * 2) / (edgesHz[m + 2] - edgesHz[m]) : w;
  };
}

const cache = new Map<string, SparseFilterbank>();

/**
 * The filterbank for these options, built once per distinct set and shared (read-only) by every
 * encoder: each session has its own encoder, and building the filters dominated session set-up.
 */
export function sharedFilterbank(o: FilterbankOptions): SparseFilterbank {
  const key = JSON.stringify([o.sampleRate, o.nFft, o.nMels, o.fMin, o.fMax, o.melScale, o.melTriangles, o.melNorm]);
  let bank = cache.get(key);
  if (!bank) {
    bank = makeFilterbank(o);
    cache.set(key, bank);
  }
  return bank;
}

export function makeFilterbank(o: FilterbankOptions): SparseFilterbank {
  const nBins = o.nFft / 2 + 1;
  const weight = weightFn(o);
  const start = new Int32Array(o.nMels);
  const length = new Int32Array(o.nMels);
  const offset = new Int32Array(o.nMels);
  const runs: number[] = [];
  for (let m = 0; m < o.nMels; m++) {
    let first = -1;
    let last = -1;
    for (let k = 0; k < nBins; k++) {
      if (weight(m, k) > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    offset[m] = runs.length;
    if (first < 0) continue; // an empty channel (too many mels for the FFT resolution) stays all-zero
    start[m] = first;
    length[m] = last - first + 1;
    for (let k = first; k <= last; k++) runs.push(weight(m, k));
  }
  return { nMels: o.nMels, nBins, start, length, offset, weights: Float64Array.from(runs) };
}

/** Dense [nMels][nBins] copy, for tests and comparisons with reference implementations. */
export function denseFilterbank(fb: SparseFilterbank): Float64Array {
  const dense = new Float64Array(fb.nMels * fb.nBins);
  for (let m = 0; m < fb.nMels; m++) {
    for (let i = 0; i < fb.length[m]; i++) dense[m * fb.nBins + fb.start[m] + i] = fb.weights[fb.offset[m] + i];
  }
  return dense;
}

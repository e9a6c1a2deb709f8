import type { MelOptions } from './options.js';

/**
 * Analysis window of `winLength` taps.
 * Periodic windows use denominator N (torch.hann_window default); symmetric ones N - 1 (Kaldi).
 * Kaldi's povey window is a symmetric Hann raised to 0.85.
 */
export function makeWindow(o: Pick<MelOptions, 'window' | 'winLength' | 'periodicWindow' | 'windowExponent'>): Float64Array {
  const n = o.winLength;
  const w = new Float64Array(n);
  const denom = o.periodicWindow ? n : n - 1;
  const a = denom > 0 ? (2 * Math.PI) / denom : 0;
  for (let i = 0; i < n; i++) {
    let v: number;
    switch (o.window) {
      case 'hann':
        v = 0.5 - 0.5 * Math.cos(a * i);
        break;
      case 'povey':
        v = Math.pow(0.5 - 0.5 * Math.cos(a * i), 0.85);
        break;
      case 'hamming':
        v = 0.54 - 0.46 * Math.cos(a * i);
        break;
      case 'rectangular':
        v = 1;
        break;
    }
    w[i] = o.windowExponent === 1 ? v : Math.pow(v, o.windowExponent);
  }
  return w;
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComplexFft, RealFft } from '../../server/audio/mel/index.js';

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((k * t) % n)) / n;
      outRe[k] += re[t] * Math.cos(a) - im[t] * Math.sin(a);
      outIm[k] += re[t] * Math.sin(a) + im[t] * Math.cos(a);
    }
  }
  return [outRe, outIm];
}

function signal(n: number, seed: number): Float64Array {
  const x = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

// Radix 4, 2, 3, 5 stages, a generic prime (7, 11) and the sizes the presets use (200, 256).
for (const n of [1, 2, 3, 4, 5, 6, 8, 12, 16, 20, 25, 49, 64, 77, 100, 121, 200, 256]) {
  test(`complex FFT of size ${n} matches the DFT`, () => {
    const re = signal(n, n);
    const im = signal(n, n + 1000);
    const [wantRe, wantIm] = naiveDft(re, im);
    new ComplexFft(n).transform(re, im);
    let err = 0;
    for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(re[k] - wantRe[k]), Math.abs(im[k] - wantIm[k]));
    assert.ok(err < 1e-9 * n, `size ${n}: error ${err}`);
  });
}

for (const n of [4, 14, 400, 512]) {
  test(`real FFT of size ${n}: one-sided spectrum and power match the DFT`, () => {
    const x = signal(n, 7 * n);
    const [wantRe, wantIm] = naiveDft(x, new Float64Array(n));
    const fft = new RealFft(n);
    assert.equal(fft.bins, n / 2 + 1);
    const re = new Float64Array(fft.bins);
    const im = new Float64Array(fft.bins);
    const power = new Float64Array(fft.bins);
    fft.spectrum(x.slice(), re, im);
    fft.power(x.slice(), power);
    for (let k = 0; k <= n / 2; k++) {
      assert.ok(Math.abs(re[k] - wantRe[k]) < 1e-9 * n, `re[${k}]`);
      assert.ok(Math.abs(im[k] - wantIm[k]) < 1e-9 * n, `im[${k}]`);
      const p = wantRe[k] ** 2 + wantIm[k] ** 2;
      assert.ok(Math.abs(power[k] - p) < 1e-9 * n * (1 + p), `power[${k}]`);
    }
  });
}

test('real FFT rejects odd sizes', () => {
  assert.throws(() => new RealFft(401), RangeError);
});

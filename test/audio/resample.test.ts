import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamingResampler, resample, type ResamplerQuality } from '../../server/audio/resample.js';
import { simdKernel, useSimdResampler } from '../../server/audio/resample-kernel.js';

// The rate pairs Duet uses: client input -> 16 kHz, model output -> client output.
const PAIRS: [number, number][] = [
  [24000, 16000],
  [8000, 16000],
  [16000, 24000],
  [22050, 24000],
  [24000, 8000],
  [16000, 8000],
  [22050, 8000],
];

/** In-place iterative radix-2 FFT. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const ar = re[i + k + len / 2];
        const ai = im[i + k + len / 2];
        const tr = ar * wr - ai * wi;
        const ti = ar * wi + ai * wr;
        re[i + k + len / 2] = re[i + k] - tr;
        im[i + k + len / 2] = im[i + k] - ti;
        re[i + k] += tr;
        im[i + k] += ti;
      }
    }
  }
}

const FRAME = 2048;

/** 4-term Blackman-Harris (side lobes below -92 dB) so leakage cannot pass for aliasing. */
function blackmanHarris(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = (2 * Math.PI * i) / (n - 1);
    w[i] = 0.35875 - 0.48829 * Math.cos(x) + 0.14128 * Math.cos(2 * x) - 0.01168 * Math.cos(3 * x);
  }
  return w;
}

/** Linear sweep from f0 to f1 Hz; instantaneous frequency at sample i is f0 + (f1 - f0) * i / n. */
function sweep(rate: number, seconds: number, f0: number, f1: number, amplitude: number): Float32Array {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  const k = (f1 - f0) / n;
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * (f0 * i + (k * i * i) / 2)) / rate);
  return out;
}

/**
 * Sweeps the whole input band through the resampler and, frame by frame, measures the
 * output power that is NOT the sweep tone itself (aliases, images, distortion) relative to
 * the power a full-level tone would have. Returns the worst frame in dB.
 */
function worstSpuriousDb(from: number, to: number, quality?: ResamplerQuality): { spuriousDb: number; passbandDb: number } {
  const seconds = 4;
  const amplitude = 0.5;
  const f0 = 20;
  const f1 = from / 2 - 20;
  const output = resample(sweep(from, seconds, f0, f1, amplitude), from, to, quality);
  const window = blackmanHarris(FRAME);
  // Parseval: a full-level tone's energy over the one-sided spectrum of a windowed frame.
  let windowEnergy = 0;
  for (const v of window) windowEnergy += v * v;
  const fullTonePower = ((amplitude * amplitude) / 4) * FRAME * windowEnergy;
  const binHz = to / FRAME;
  const lowerNyquist = Math.min(from, to) / 2;
  let spuriousDb = -Infinity;
  let passbandDb = Infinity;
  for (let start = FRAME; start + FRAME < output.length - FRAME; start += FRAME / 2) {
    const re = new Float64Array(FRAME);
    const im = new Float64Array(FRAME);
    for (let i = 0; i < FRAME; i++) re[i] = output[start + i] * window[i];
    fft(re, im);
    const centre = start + FRAME / 2;
    const fInst = f0 + ((f1 - f0) * centre) / output.length; // the sweep is linear in time
    const spreadHz = ((f1 - f0) / seconds) * (FRAME / to) + 6 * binHz; // chirp spread + main lobe
    let spurious = 0;
    let tone = 0;
    for (let b = 0; b <= FRAME / 2; b++) {
      const power = re[b] * re[b] + im[b] * im[b];
      if (Math.abs(b * binHz - fInst) <= spreadHz) tone += power;
      else spurious += power;
    }
    spuriousDb = Math.max(spuriousDb, 10 * Math.log10(spurious / fullTonePower + 1e-30));
    if (fInst > 100 && fInst < 0.85 * lowerNyquist) {
      const db = 10 * Math.log10(tone / fullTonePower);
      if (Math.abs(db) > Math.abs(passbandDb) || !Number.isFinite(passbandDb)) passbandDb = db;
    }
  }
  return { spuriousDb, passbandDb };
}

for (const [from, to] of PAIRS) {
  test(`sine sweep ${from} -> ${to} Hz: aliases and images below -40 dB, pass band kept`, (t) => {
    const { spuriousDb, passbandDb } = worstSpuriousDb(from, to);
    t.diagnostic(`worst spurious ${spuriousDb.toFixed(1)} dB, pass band level furthest from 0 dB: ${passbandDb.toFixed(2)} dB`);
    assert.ok(spuriousDb < -40, `spurious output ${spuriousDb.toFixed(1)} dB`);
    // The window's own power spread costs a little; the filter must not eat the pass band.
    assert.ok(Math.abs(passbandDb) < 0.5, `pass band level ${passbandDb.toFixed(2)} dB`);
  });
}

test('the sweep measurement catches aliasing (control: a 20 dB filter fails it)', () => {
  const { spuriousDb } = worstSpuriousDb(24000, 16000, { attenuationDb: 20, passbandRatio: 0.9 });
  assert.ok(spuriousDb > -40, `weak filter measured ${spuriousDb.toFixed(1)} dB`);
});

test('a tone above the output Nyquist frequency is removed, not folded back', () => {
  for (const f of [8100, 9000, 11000]) {
    const input = sweep(24000, 1, f, f, 0.9);
    const output = resample(input, 24000, 16000);
    let power = 0;
    for (let i = 200; i < output.length - 200; i++) power += output[i] * output[i];
    const db = 10 * Math.log10(power / (output.length - 400) / (0.9 * 0.9 * 0.5));
    assert.ok(db < -40, `${f} Hz leaks at ${db.toFixed(1)} dB`);
  }
});

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

for (const [from, to] of PAIRS) {
  test(`streaming ${from} -> ${to} in any chunking equals one shot, sample for sample (SIMD kernel and JavaScript loop)`, () => {
    for (const simd of [true, false]) {
      useSimdResampler(simd);
      try {
        streamingEqualsOneShot(from, to);
      } finally {
        useSimdResampler(true);
      }
    }
  });
}

test('the SIMD kernel is available here and agrees with the JavaScript loop to 1e-6 of full scale (-120 dB) on every rate pair', { skip: simdKernel() ? false : 'no WebAssembly SIMD in this runtime' }, () => {
  for (const [from, to] of PAIRS) {
    const input = noise(from + 999, from + to);
    const simd = resample(input, from, to);
    useSimdResampler(false);
    const js = resample(input, from, to);
    useSimdResampler(true);
    assert.equal(simd.length, js.length);
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(simd[i]! - js[i]!));
    assert.ok(worst > 0 && worst < 1e-6, `${from} -> ${to}: worst difference ${worst}`);
  }
});

function streamingEqualsOneShot(from: number, to: number): void {
  {
    const input = noise(from + 1234, from ^ to);
    const oneShot = resample(input, from, to);
    assert.equal(oneShot.length, Math.ceil((input.length * to) / from));
    for (const chunking of [[1], [7], [160], [4096], [3, 500, 1, 77, 2048]]) {
      const r = new StreamingResampler(from, to);
      const parts: Float32Array[] = [];
      for (let offset = 0, i = 0; offset < input.length; i++) {
        const size = chunking[i % chunking.length];
        parts.push(r.process(input.subarray(offset, offset + size)));
        offset += size;
      }
      parts.push(r.flush());
      assert.deepEqual(concat(parts), oneShot, `chunks of ${chunking.join(',')}`);
    }
  }
}

test('output lags the input by at most half the filter and keeps the signal in time', () => {
  const r = new StreamingResampler(24000, 16000);
  const out = r.process(new Float32Array(2400));
  const expectedMax = (2400 * 2) / 3;
  assert.ok(out.length <= expectedMax && out.length >= expectedMax - Math.ceil((r.latencySamples * 2) / 3) - 1, `${out.length}`);
  // An impulse at input 2400 (100 ms) must peak at output 1600 (100 ms): zero group delay.
  const impulse = new Float32Array(4800);
  impulse[2400] = 1;
  const y = resample(impulse, 24000, 16000);
  let peak = 0;
  for (let i = 1; i < y.length; i++) if (Math.abs(y[i]) > Math.abs(y[peak])) peak = i;
  assert.equal(peak, 1600);
});

test('a constant stays constant (unit DC gain in every phase)', () => {
  for (const [from, to] of PAIRS) {
    const y = resample(new Float32Array(from).fill(0.25), from, to);
    for (let i = 400; i < y.length - 400; i++) assert.ok(Math.abs(y[i] - 0.25) < 1e-5, `${from}->${to} at ${i}: ${y[i]}`);
  }
});

test('equal rates pass the input through without copying', () => {
  const r = new StreamingResampler(16000, 16000);
  const input = new Float32Array(320).fill(0.5);
  assert.equal(r.process(input), input);
  assert.equal(r.flush().length, 0);
  assert.equal(resample(input, 16000, 16000), input);
});

test('reset starts a fresh stream', () => {
  const input = noise(5000, 3);
  const r = new StreamingResampler(8000, 16000);
  r.process(noise(999, 9));
  r.reset();
  assert.deepEqual(concat([r.process(input), r.flush()]), resample(input, 8000, 16000));
});

test('bad rates are rejected', () => {
  assert.throws(() => new StreamingResampler(0, 16000), RangeError);
  assert.throws(() => new StreamingResampler(16000, 44100.5), RangeError);
});

test('one call on a minute of audio keeps the SIMD kernel small: it works in slices', { skip: simdKernel() ? false : 'no WebAssembly SIMD in this runtime' }, () => {
  const r = new StreamingResampler(48000, 16000);
  const out = r.process(noise(48000 * 60, 5));
  assert.equal(out.length > 16000 * 59, true);
  // Slices of 8192 outputs read at most ~25k input samples of the 48 kHz stream: well under 1 MiB, banks included.
  assert.ok(simdKernel()!.memoryBytes <= 1 << 20, `kernel memory ${simdKernel()!.memoryBytes} bytes`);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MEL_PRESET_NAMES,
  StreamingMelEncoder,
  computeMel,
  denseFilterbank,
  hzToMel,
  makeFilterbank,
  makeWindow,
  melPreset,
  melToHz,
  normalizeUtterance,
  parseCmvnStats,
  type MelOptions,
  type MelPresetName,
} from '../../server/audio/mel/index.js';

test('presets carry the documented parameters', () => {
  const kaldi = melPreset('kaldi');
  assert.deepEqual(
    [kaldi.nMels, kaldi.winLength, kaldi.hopLength, kaldi.nFft, kaldi.window, kaldi.preEmphasis, kaldi.fMin, kaldi.removeDc, kaldi.padding],
    [80, 400, 160, 512, 'povey', 0.97, 20, true, 'snip-edges'],
  );
  const whisper = melPreset('whisper');
  assert.deepEqual(
    [whisper.nMels, whisper.nFft, whisper.hopLength, whisper.window, whisper.melScale, whisper.melNorm, whisper.log, whisper.logFloor, whisper.normalization],
    [80, 400, 160, 'hann', 'slaney', 'slaney', 'log10', 1e-10, 'whisper'],
  );
  assert.equal(melPreset('whisper-128').nMels, 128);
  const micro = melPreset('moonshine-micro');
  assert.deepEqual([micro.nMels, micro.nFft, micro.hopLength, micro.fMin, micro.fMax], [64, 512, 125, 20, 8000]);
  const vad = melPreset('moonshine-vad');
  assert.deepEqual([vad.nMels, vad.nFft, vad.hopLength, vad.padding], [32, 512, 512, 'snip-edges']);
  for (const name of MEL_PRESET_NAMES) assert.equal(melPreset(name).name, name);
});

test('overrides apply and are validated', () => {
  assert.equal(melPreset('kaldi', { nMels: 40 }).nMels, 40);
  const bad: [Partial<MelOptions>, RegExp][] = [
    [{ winLength: 600 }, /winLength/],
    [{ nFft: 401, winLength: 400 }, /even/],
    [{ fMax: 9000 }, /Nyquist/],
    [{ hopLength: 0 }, /hopLength/],
    [{ normalization: 'global-cmvn' }, /cmvn/],
    [{ normalization: 'global-cmvn', cmvn: { mean: new Float64Array(3), istd: new Float64Array(3) } }, /bins/],
    [{ preEmphasis: 1.2 }, /preEmphasis/],
  ];
  for (const [override, message] of bad) assert.throws(() => melPreset('kaldi', override), message);
  assert.throws(() => melPreset('nope' as MelPresetName), /unknown mel preset/);
});

test('mel scales round-trip and agree with their published anchor points', () => {
  for (const scale of ['htk', 'slaney'] as const) {
    for (const hz of [0, 20, 440, 999, 1000, 1001, 4000, 8000]) {
      assert.ok(Math.abs(melToHz(hzToMel(hz, scale), scale) - hz) < 1e-9, `${scale} ${hz}`);
    }
  }
  assert.ok(Math.abs(hzToMel(1000, 'slaney') - 15) < 1e-12); // linear below 1 kHz: 3 mels per 200 Hz
  assert.ok(Math.abs(hzToMel(700, 'htk') - 1127 * Math.log(2)) < 1e-9);
});

test('Kaldi filters: triangles linear in mel with unit peaks, Nyquist bin excluded', () => {
  const o = melPreset('kaldi');
  const fb = makeFilterbank(o);
  const dense = denseFilterbank(fb);
  for (let m = 0; m < fb.nMels; m++) {
    let peak = 0;
    for (let k = 0; k < fb.nBins; k++) peak = Math.max(peak, dense[m * fb.nBins + k]);
    assert.ok(peak > 0 && peak <= 1 + 1e-12, `channel ${m} peak ${peak}`);
    if (m >= 40) assert.ok(peak > 0.5, `wide channel ${m} (${peak})`);
    assert.equal(dense[m * fb.nBins + fb.nBins - 1], 0);
    if (m > 0) assert.ok(fb.start[m] >= fb.start[m - 1], 'channels ascend');
  }
  // Only the bins that lie between 20 Hz and 8 kHz carry weight.
  assert.equal(fb.start[0], 1);
  // Sampled finely, every triangle reaches its unit peak (no area normalisation in Kaldi).
  const fine = makeFilterbank(melPreset('kaldi', { nFft: 16384 }));
  for (let m = 0; m < fine.nMels; m++) {
    let peak = 0;
    for (let i = 0; i < fine.length[m]; i++) peak = Math.max(peak, fine.weights[fine.offset[m] + i]);
    assert.ok(peak > 0.97 && peak <= 1 + 1e-12, `fine channel ${m} peak ${peak}`);
  }
});

test('Slaney-normalised filters have unit area in Hz', () => {
  // A fine FFT (3.9 Hz bins) samples every triangle densely enough for the sum to be the integral.
  const o = melPreset('whisper-128', { nFft: 4096, winLength: 4096 });
  const fb = makeFilterbank(o);
  const binHz = o.sampleRate / o.nFft;
  for (let m = 0; m < fb.nMels; m++) {
    let area = 0;
    for (let i = 0; i < fb.length[m]; i++) area += fb.weights[fb.offset[m] + i] * binHz;
    assert.ok(Math.abs(area - 1) < 0.02, `channel ${m}: area ${area}`);
  }
});

test('windows: periodic and symmetric Hann, povey = symmetric Hann^0.85, Hamming', () => {
  const base = { winLength: 400, windowExponent: 1 };
  const hannP = makeWindow({ ...base, window: 'hann', periodicWindow: true });
  const hannS = makeWindow({ ...base, window: 'hann', periodicWindow: false });
  const povey = makeWindow({ ...base, window: 'povey', periodicWindow: false });
  const hamming = makeWindow({ ...base, window: 'hamming', periodicWindow: false });
  assert.equal(hannP[0], 0);
  assert.ok(Math.abs(hannP[200] - 1) < 1e-12, 'periodic Hann peaks at N/2');
  assert.ok(Math.abs(hannS[399]) < 1e-12, 'symmetric Hann ends at 0');
  for (const i of [1, 50, 123, 399]) assert.ok(Math.abs(povey[i] - Math.pow(hannS[i], 0.85)) < 1e-12);
  assert.ok(Math.abs(hamming[0] - 0.08) < 1e-12 && Math.abs(hamming[399] - 0.08) < 1e-12);
});

test('magnitude vs power: for a pure tone on an FFT bin the log mel values differ by ln|X|', () => {
  const common: Partial<MelOptions> = { window: 'rectangular', nFft: 512, winLength: 512, hopLength: 512, padding: 'snip-edges', logFloor: 1e-30 };
  const amplitude = 0.25;
  const tone = new Float32Array(512);
  for (let i = 0; i < 512; i++) tone[i] = amplitude * Math.cos((2 * Math.PI * 64 * i) / 512); // 2 kHz = bin 64
  const power = computeMel(tone, melPreset('moonshine-vad', { ...common, spectrum: 'power', normalization: 'none' }));
  const magnitude = computeMel(tone, melPreset('moonshine-vad', { ...common, spectrum: 'magnitude', normalization: 'none' }));
  let loudest = 0;
  for (let m = 1; m < power.bins; m++) if (power.data[m] > power.data[loudest]) loudest = m;
  const expected = Math.log(amplitude * 256); // |X[64]| = A N / 2
  assert.ok(Math.abs(power.data[loudest] - magnitude.data[loudest] - expected) < 1e-4);
});

test('log flavours: ln with a clamp floor, ln(x + floor), log10 with clamp', () => {
  const silence = new Float32Array(1600);
  const clamp = computeMel(silence, melPreset('kaldi'));
  assert.ok(clamp.data.every((v) => Math.abs(v - Math.log(1.1920928955078125e-7)) < 1e-6));
  const add = computeMel(silence, melPreset('moonshine-micro', { normalization: 'none' }));
  assert.ok(add.data.every((v) => Math.abs(v - Math.log(1e-6)) < 1e-6));
  const log10 = computeMel(silence, melPreset('whisper', { normalization: 'none' }));
  assert.ok(log10.data.every((v) => Math.abs(v + 10) < 1e-6));
});

function plane(values: number[], frames: number, bins: number) {
  assert.equal(values.length, frames * bins);
  return Float32Array.from(values);
}

test("Whisper normalisation: (max(x, max - 8) + 4) / 4 over the range", () => {
  const data = plane([-10, 0, 1, -7.5, 2, -20], 3, 2);
  normalizeUtterance(data, 3, 2, melPreset('whisper'));
  const want = [-6, 0, 1, -6, 2, -6].map((x) => (x + 4) / 4);
  data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${i}: ${v} vs ${want[i]}`));
});

test('per-utterance mean/variance per bin, and Moonshine scalar standardisation', () => {
  const values = [1, 10, 3, 20, 5, 60];
  const mvn = plane(values, 3, 2);
  normalizeUtterance(mvn, 3, 2, melPreset('kaldi', { normalization: 'utterance-mvn' }));
  for (let b = 0; b < 2; b++) {
    const col = [mvn[b], mvn[2 + b], mvn[4 + b]];
    const mean = col.reduce((a, c) => a + c) / 3;
    const variance = col.reduce((a, c) => a + (c - mean) ** 2, 0) / 3;
    assert.ok(Math.abs(mean) < 1e-6 && Math.abs(variance - 1) < 1e-5, `bin ${b}`);
  }
  const meanOnly = plane(values, 3, 2);
  normalizeUtterance(meanOnly, 3, 2, melPreset('kaldi', { normalization: 'utterance-mvn', utteranceNormVars: false }));
  assert.deepEqual(Array.from(meanOnly), [-2, -20, 0, -10, 2, 30]);
  const scalar = plane(values, 3, 2);
  normalizeUtterance(scalar, 3, 2, melPreset('moonshine-micro'));
  const mean = values.reduce((a, c) => a + c) / 6;
  const std = Math.sqrt(values.reduce((a, c) => a + (c - mean) ** 2, 0) / 5); // Bessel-corrected
  scalar.forEach((v, i) => assert.ok(Math.abs(v - (values[i] - mean) / std) < 1e-5));
  const flat = plane([3, 3, 3, 3], 2, 2);
  normalizeUtterance(flat, 2, 2, melPreset('moonshine-micro'));
  assert.deepEqual(Array.from(flat), [0, 0, 0, 0]); // std clamped, no division by zero
});

test('CMVN stats: {mean, istd}, wenet {mean_stat, var_stat, frame_num} and a Kaldi matrix agree', () => {
  const frames = [
    [1, 2],
    [3, 6],
    [5, 7],
  ];
  const sums = [9, 15];
  const sumsq = [35, 89];
  const mean = sums.map((s) => s / 3);
  const istd = sumsq.map((q, b) => 1 / Math.sqrt(q / 3 - mean[b] ** 2));
  const direct = parseCmvnStats({ mean, istd });
  const wenet = parseCmvnStats({ mean_stat: sums, var_stat: sumsq, frame_num: 3 });
  const kaldi = parseCmvnStats({ kaldi: [[...sums, 3], [...sumsq, 0]] });
  for (const s of [wenet, kaldi]) {
    for (let b = 0; b < 2; b++) {
      assert.ok(Math.abs(s.mean[b] - direct.mean[b]) < 1e-12);
      assert.ok(Math.abs(s.istd[b] - direct.istd[b]) < 1e-12);
    }
  }
  assert.equal(frames.length, 3);
  assert.throws(() => parseCmvnStats({ mean: [1], istd: [1, 2] }), /length/);
  assert.throws(() => parseCmvnStats({ mean_stat: [1], var_stat: [1], frame_num: 0 }), /count/);
  assert.throws(() => parseCmvnStats([1, 2]), /mean/);
});

test('global CMVN is applied per frame, as streamed', () => {
  const o = melPreset('kaldi');
  const audio = new Float32Array(4000);
  for (let i = 0; i < audio.length; i++) audio[i] = 0.1 * Math.sin(i * 0.05) + 0.01 * Math.sin(i * 1.3);
  const raw = computeMel(audio, o);
  const mean = new Float64Array(80).map((_, b) => -b);
  const istd = new Float64Array(80).fill(0.5);
  const encoder = new StreamingMelEncoder(melPreset('kaldi', { normalization: 'global-cmvn', cmvn: { mean, istd } }));
  encoder.push(audio);
  const normalised = encoder.read(0, encoder.frameCount);
  normalised.data.forEach((v, i) => assert.ok(Math.abs(v - (raw.data[i] + (i % 80)) * 0.5) < 1e-4));
});

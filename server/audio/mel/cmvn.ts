import { readFileSync } from 'node:fs';
import type { CmvnStats } from './options.js';

/**
 * Global CMVN statistics file (JSON), in any of three shapes:
 * - `{ "mean": [..], "istd": [..] }`: what is applied, y = (x - mean) * istd;
 * - `{ "mean_stat": [..], "var_stat": [..], "frame_num": N }`: wenet's global_cmvn (sums over N frames);
 * - `{ "kaldi": [[sum_0..sum_{d-1}, count], [sumsq_0..sumsq_{d-1}, 0]] }`: a Kaldi cmvn stats matrix
 *   (`copy-matrix --binary=false` output, as nested arrays).
 * Variances are floored at 1e-20 as wenet does.
 */
export function parseCmvnStats(json: unknown): CmvnStats {
  const fail = (msg: string): never => {
    throw new TypeError(`cmvn stats: ${msg}`);
  };
  const numbers = (v: unknown, name: string): number[] => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      return fail(`'${name}' must be a non-empty array of finite numbers`);
    }
    return v as number[];
  };
  if (typeof json !== 'object' || json === null) return fail('expected a JSON object');
  const obj = json as Record<string, unknown>;
  if ('istd' in obj) {
    const mean = numbers(obj.mean, 'mean');
    const istd = numbers(obj.istd, 'istd');
    if (mean.length !== istd.length) fail('mean and istd differ in length');
    return { mean: Float64Array.from(mean), istd: Float64Array.from(istd) };
  }
  let sums: number[];
  let sumsq: number[];
  let count: number;
  if ('mean_stat' in obj) {
    sums = numbers(obj.mean_stat, 'mean_stat');
    sumsq = numbers(obj.var_stat, 'var_stat');
    count = typeof obj.frame_num === 'number' ? obj.frame_num : fail("'frame_num' must be a number");
  } else if ('kaldi' in obj) {
    const rows = obj.kaldi;
    if (!Array.isArray(rows) || rows.length !== 2) return fail("'kaldi' must be a 2-row matrix");
    const first = numbers(rows[0], 'kaldi[0]');
    const second = numbers(rows[1], 'kaldi[1]');
    count = first[first.length - 1];
    sums = first.slice(0, -1);
    sumsq = second.slice(0, sums.length);
  } else {
    return fail('expected {mean, istd}, {mean_stat, var_stat, frame_num} or {kaldi}');
  }
  if (sums.length !== sumsq.length) fail('sum and square-sum rows differ in length');
  if (!(count > 0)) fail('frame count must be > 0');
  const mean = new Float64Array(sums.length);
  const istd = new Float64Array(sums.length);
  for (let b = 0; b < sums.length; b++) {
    mean[b] = sums[b] / count;
    const variance = Math.max(sumsq[b] / count - mean[b] * mean[b], 1e-20);
    istd[b] = 1 / Math.sqrt(variance);
  }
  return { mean, istd };
}

export function loadCmvnStats(path: string): CmvnStats {
  return parseCmvnStats(JSON.parse(readFileSync(path, 'utf8')));
}

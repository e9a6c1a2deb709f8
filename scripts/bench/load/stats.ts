// Distribution summaries for benchmark samples (ms unless a name says otherwise).

export interface Summary {
  n: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  min: number | null;
}

/** Nearest-rank percentile of an ascending array (q in [0, 1]); null when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const n = sorted.length;
  return {
    n,
    mean: n ? round(sum / n) : null,
    p50: roundOrNull(percentile(sorted, 0.5)),
    p90: roundOrNull(percentile(sorted, 0.9)),
    p95: roundOrNull(percentile(sorted, 0.95)),
    p99: roundOrNull(percentile(sorted, 0.99)),
    max: roundOrNull(n ? sorted[n - 1]! : null),
    min: roundOrNull(n ? sorted[0]! : null),
  };
}

/** Element-wise a[i] - b[i] (paired samples taken in the same cycle). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** Rounds to 3 decimals (microsecond resolution for ms values): stable JSON, readable tables. */
export function round(value: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value);
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return round(a / b);
}

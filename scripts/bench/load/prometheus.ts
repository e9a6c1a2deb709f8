// Reads one histogram out of Prometheus text exposition (what GET /metrics serves).
import { round } from './stats.js';

export interface HistogramSnapshot {
  name: string;
  /** Cumulative counts per upper bound (le, as exposed: "1", ..., "+Inf"), ascending. */
  buckets: { le: string; count: number }[];
  count: number;
  sum: number;
  mean: number | null;
  /** Estimated by linear interpolation inside the bucket (as PromQL's histogram_quantile). */
  p50Estimate: number | null;
  p99Estimate: number | null;
}

export function readHistogram(text: string, name: string): HistogramSnapshot {
  const parsed: { le: number; count: number }[] = [];
  let count = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}_bucket{`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (le !== undefined) parsed.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
    } else if (line.startsWith(`${name}_sum`)) sum = Number(line.slice(line.lastIndexOf(' ') + 1));
    else if (line.startsWith(`${name}_count`)) count = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  parsed.sort((a, b) => a.le - b.le);
  return {
    name,
    buckets: parsed.map((b) => ({ le: b.le === Infinity ? '+Inf' : String(b.le), count: b.count })),
    count,
    sum: round(sum),
    mean: count > 0 ? round(sum / count) : null,
    p50Estimate: quantile(parsed, count, 0.5),
    p99Estimate: quantile(parsed, count, 0.99),
  };
}

function quantile(buckets: { le: number; count: number }[], total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerBound; // past the last finite bound: only a lower bound is known
      const inBucket = b.count - lowerCount;
      return round(inBucket > 0 ? lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / inBucket : b.le);
    }
    lowerBound = b.le;
    lowerCount = b.count;
  }
  return null;
}

/** Non-cumulative counts per bucket, e.g. "(200,500]: 40", for reading a histogram at a glance. */
export function bucketCounts(h: HistogramSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  let previous = 0;
  let lower = '0';
  for (const b of h.buckets) {
    const n = b.count - previous;
    if (n > 0) out[`(${lower},${b.le}]`] = n;
    lower = b.le;
    previous = b.count;
  }
  return out;
}

/** A counter's samples by one label (e.g. duet_tentative_pauses_total by outcome). */
export function readCounter(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const key = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1];
    if (key !== undefined) out[key] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

/** How many frames go with a query, and which ones: VITA's camera and offline-video rules. */

export interface FrameSamplingPolicy {
  /** Window of recent frames a short query sees (VITA: 4 s). */
  frameWindowMs: number;
  /** Frames attached to a query no longer than the window (VITA: 4); also the minimum for long ones. 0 disables. */
  framesPerQuery: number;
  /** Cap for long queries, which get one frame per second (VITA offline video: at most 16). */
  maxFramesPerQuery: number;
}

/**
 * Frames wanted for an utterance lasting `spanMs`: `framesPerQuery` up to the window; beyond
 * it one per whole second, at least `framesPerQuery` and at most `maxFramesPerQuery`.
 */
export function framesWanted(spanMs: number, policy: FrameSamplingPolicy): number {
  if (policy.framesPerQuery <= 0) return 0;
  if (spanMs <= policy.frameWindowMs) return Math.min(policy.framesPerQuery, policy.maxFramesPerQuery);
  return Math.min(policy.maxFramesPerQuery, Math.max(policy.framesPerQuery, Math.floor(spanMs / 1000)));
}

/**
 * Indices of `n` entries of `timesMs` (sorted ascending) spaced as evenly in time as possible,
 * always including the first and the last, never repeating one. With `n` or fewer entries all are
 * returned (duplicating frames, as VITA's offline rule does, would only cost tokens).
 * Among equally close entries the one nearest the evenly spaced index wins, so a steady rate
 * gives VITA's `linspace` choice and a burst of identical timestamps is still spread out.
 */
export function pickEvenlySpaced(timesMs: readonly number[], n: number): number[] {
  const count = timesMs.length;
  if (n <= 0 || count === 0) return [];
  if (count <= n) return Array.from({ length: count }, (_, i) => i);
  if (n === 1) return [count - 1];
  const first = timesMs[0]!;
  const last = timesMs[count - 1]!;
  const picked: number[] = [];
  let previous = -1;
  for (let k = 0; k < n; k++) {
    const target = first + ((last - first) * k) / (n - 1);
    const idealIndex = ((count - 1) * k) / (n - 1);
    const lo = previous + 1;
    const hi = count - (n - k); // leave room for the picks still to come
    let best = lo;
    let bestDistance = Infinity;
    let bestIndexDistance = Infinity;
    for (let i = lo; i <= hi; i++) {
      const distance = Math.abs(timesMs[i]! - target);
      const indexDistance = Math.abs(i - idealIndex);
      if (distance < bestDistance || (distance === bestDistance && indexDistance < bestIndexDistance)) {
        best = i;
        bestDistance = distance;
        bestIndexDistance = indexDistance;
      } else if (timesMs[i]! > target && distance > bestDistance) {
        break; // sorted: only farther from here on
      }
    }
    picked.push(best);
    previous = best;
  }
  return picked;
}

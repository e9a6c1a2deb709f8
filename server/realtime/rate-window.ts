/** Sliding-window rate limit: at most `perSecond * windowMs/1000` units per window. */
export class RateWindow {
  private readonly buckets: Float64Array;
  private readonly bucketMs: number;
  private head = 0;
  private headStart = 0;
  private total = 0;

  constructor(
    private readonly perSecond: number,
    private readonly windowMs = 5000,
    buckets = 10,
  ) {
    this.buckets = new Float64Array(buckets);
    this.bucketMs = windowMs / buckets;
  }

  /** Records `amount` at `nowMs`; false (and nothing recorded) when it would pass the limit. */
  take(amount: number, nowMs: number): boolean {
    this.advance(nowMs);
    if (this.total + amount > (this.perSecond * this.windowMs) / 1000) return false;
    this.buckets[this.head] += amount;
    this.total += amount;
    return true;
  }

  /** Units still allowed in the current window, and the window's length in seconds. */
  remaining(nowMs: number): { limit: number; remaining: number; resetSeconds: number } {
    this.advance(nowMs);
    const limit = (this.perSecond * this.windowMs) / 1000;
    return { limit, remaining: Math.max(0, limit - this.total), resetSeconds: this.windowMs / 1000 };
  }

  private advance(nowMs: number): void {
    if (this.headStart === 0) this.headStart = nowMs;
    while (nowMs - this.headStart >= this.bucketMs) {
      this.head = (this.head + 1) % this.buckets.length;
      this.total -= this.buckets[this.head]!;
      this.buckets[this.head] = 0;
      this.headStart += this.bucketMs;
      if (nowMs - this.headStart > this.windowMs) {
        this.buckets.fill(0);
        this.total = 0;
        this.headStart = nowMs;
      }
    }
  }
}

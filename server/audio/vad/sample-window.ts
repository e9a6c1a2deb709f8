// The recent stretch of one session's 16 kHz audio, addressed by absolute sample
// index since the stream began. Old samples are discarded explicitly, so memory is
// bounded by what the owner still needs, for audio of any length.

export class SampleWindow {
  private buffer: Float32Array;
  /** Absolute index of buffer[head]. */
  private first = 0;
  private head = 0;
  private length = 0;

  constructor(initialCapacity = 16000 * 4) {
    this.buffer = new Float32Array(initialCapacity);
  }

  /** First sample still held. */
  get start(): number {
    return this.first;
  }

  /** One past the last sample appended (= samples appended since the stream began). */
  get end(): number {
    return this.first + this.length;
  }

  /** Samples held (memory is about 4 bytes each, plus slack up to 2x). */
  get held(): number {
    return this.length;
  }

  append(samples: Float32Array): void {
    const n = samples.length;
    if (this.head + this.length + n > this.buffer.length) {
      if (this.length + n <= this.buffer.length / 2) {
        this.buffer.copyWithin(0, this.head, this.head + this.length);
      } else {
        const grown = new Float32Array(Math.max(this.buffer.length * 2, (this.length + n) * 2));
        grown.set(this.buffer.subarray(this.head, this.head + this.length));
        this.buffer = grown;
      }
      this.head = 0;
    }
    this.buffer.set(samples, this.head + this.length);
    this.length += n;
  }

  /** Forgets samples before absolute index `sample` (no-op for ones already gone). */
  discardBefore(sample: number): void {
    const drop = Math.min(Math.max(0, sample - this.first), this.length);
    this.first += drop;
    this.head += drop;
    this.length -= drop;
  }

  /** Live view of [from, to); valid until the next append. */
  view(from: number, to: number): Float32Array {
    this.check(from, to);
    return this.buffer.subarray(this.head + from - this.first, this.head + to - this.first);
  }

  /** Copy of [from, to) the caller owns. */
  copy(from: number, to: number): Float32Array {
    return this.view(from, to).slice();
  }

  /** Drops everything; the next sample appended keeps its absolute index (the stream clock runs on). */
  clear(): void {
    this.first += this.length;
    this.head = 0;
    this.length = 0;
  }

  private check(from: number, to: number): void {
    if (from < this.first || to > this.end || from > to) {
      throw new RangeError(`samples [${from}, ${to}) not held (window [${this.first}, ${this.end}))`);
    }
  }
}

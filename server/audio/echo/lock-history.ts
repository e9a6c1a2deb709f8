// The microphone heard before the echo's delay was first found, kept to teach the filter once it is.
// Until then the filter spans 0..filterMs, and an echo arriving later (the office, the far room)
// passes it untouched; locked, the filter moves to the delay and learns the room from nothing
// while the answer plays on. The lock takes two agreeing estimates over seconds of echo, so the
// filter started a second or more behind: 1 s after it, in the far room, it cancelled 3-10 dB, and
// the user's barge-in 3 s into the first answer stood over a residual as loud as the voice.
// The echo in those frames came at the delay just found (nothing moved it: the filter was never
// aligned to be distrusted), so they are heard again there as the filter moves. The early filter
// (early-echo.ts) keeps one too, and reads it a few frames at a time after each placement.

export class LockHistory {
  private readonly mic: Int16Array;
  /** Where each kept frame lies on the reference's clock (its echo's origin at delay 0), samples. */
  private readonly positions: Float64Array;
  /** Frames recorded since the last clear; the ring holds the last `capacity` of them. */
  private count = 0;

  constructor(
    private readonly frameSamples: number,
    private readonly capacity: number,
  ) {
    this.mic = new Int16Array(frameSamples * capacity);
    this.positions = new Float64Array(capacity);
  }

  /** Keeps a microphone frame and its position on the reference's clock. */
  record(mic: Int16Array, refPos: number): void {
    const slot = this.count % this.capacity;
    this.mic.set(mic, slot * this.frameSamples);
    this.positions[slot] = refPos;
    this.count++;
  }

  /** Frames recorded since the last replay (the ring holds the last `capacity` of them). */
  get recorded(): number {
    return this.count;
  }

  /** Recorded frame `index` (counted as `recorded`), while the ring still holds it. */
  frame(index: number): Int16Array {
    const slot = index % this.capacity;
    return this.mic.subarray(slot * this.frameSamples, (slot + 1) * this.frameSamples);
  }

  /** Where recorded frame `index` lies on the reference's clock, samples. */
  position(index: number): number {
    return this.positions[index % this.capacity]!;
  }

  /** Hands the kept frames, oldest first, with the reference position each is to be read from at `delaySamples`; then forgets them. */
  replay(delaySamples: number, each: (mic: Int16Array, readFrom: number) => void): void {
    const kept = Math.min(this.count, this.capacity);
    for (let k = this.count - kept; k < this.count; k++) {
      const slot = k % this.capacity;
      each(this.mic.subarray(slot * this.frameSamples, (slot + 1) * this.frameSamples), Math.round(this.positions[slot]! - delaySamples));
    }
    this.count = 0;
  }
}

// The simulated client's loudspeaker: audio deltas queue and play at 1x real time. Playback is
// accounted exactly (no timer): every call first advances the play head to `nowMs`, so we know
// which output samples of which item were played when, and what the loudspeaker emitted (for echo).

/** A run of contiguous samples of one item, played without a break. */
export interface PlayedSpan {
  itemId: string;
  responseId: string;
  startMs: number;
  endMs: number;
  /** Sample offsets within the item's audio (16 kHz), [from, to). */
  from: number;
  to: number;
}

interface Queued {
  itemId: string;
  responseId: string;
  offset: number;
  samples: Float32Array;
  pos: number;
  /** The client's own gain on these samples (a duck lowers what was buffered before it). */
  gain: number;
}

export class Playback {
  private queue: Queued[] = [];
  private headMs: number;
  private paused = false;
  readonly spans: PlayedSpan[] = [];
  /** Samples received so far per item (the next delta's offset). */
  private readonly received = new Map<string, number>();

  /**
   * @param originMs wall time (performance.now) of sample 0 of `speaker`
   * @param speaker the loudspeaker signal, 16 kHz, written as it plays (silence elsewhere)
   */
  constructor(
    private readonly originMs: number,
    readonly speaker: Float32Array,
    private readonly perMs = 16,
  ) {
    this.headMs = originMs;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Samples buffered and not yet played. */
  bufferedMs(nowMs: number): number {
    this.advance(nowMs);
    return this.queue.reduce((n, q) => n + q.samples.length - q.pos, 0) / this.perMs;
  }

  enqueue(nowMs: number, itemId: string, responseId: string, samples: Float32Array): void {
    this.advance(nowMs);
    const offset = this.received.get(itemId) ?? 0;
    this.received.set(itemId, offset + samples.length);
    this.queue.push({ itemId, responseId, offset, samples, pos: 0, gain: 1 });
  }

  pause(nowMs: number): void {
    this.advance(nowMs);
    this.paused = true;
  }

  resume(nowMs: number): void {
    this.advance(nowMs);
    this.paused = false;
  }

  /** Plays everything buffered now at `gain` (1: as received). */
  setBufferedGain(nowMs: number, gain: number): void {
    this.advance(nowMs);
    for (const q of this.queue) q.gain = gain;
  }

  /** The item's first sample not yet played (where a change to the buffer is first heard). */
  playHead(itemId: string): number {
    const queued = this.queue.reduce((n, q) => (q.itemId === itemId ? n + q.samples.length - q.pos : n), 0);
    return this.receivedSamples(itemId) - queued;
  }

  /** Drops everything not yet played; returns the ms dropped. */
  clear(nowMs: number): number {
    this.advance(nowMs);
    const dropped = this.queue.reduce((n, q) => n + q.samples.length - q.pos, 0);
    this.queue = [];
    this.paused = false;
    return dropped / this.perMs;
  }

  /** Samples received so far for the item (where its next delta will start). */
  receivedSamples(itemId: string): number {
    return this.received.get(itemId) ?? 0;
  }

  /** The item playing or about to play: the head of the buffer, else the last one heard. */
  currentItem(): string | null {
    return this.queue[0]?.itemId ?? this.spans.at(-1)?.itemId ?? null;
  }

  /** Milliseconds of the item's audio played (the end of the furthest sample heard): `audio_end_ms` for a truncate. */
  playedMs(itemId: string): number {
    let to = 0;
    for (const s of this.spans) if (s.itemId === itemId && s.to > to) to = s.to;
    return to / this.perMs;
  }

  /** Plays from the head up to `nowMs`; an empty or paused buffer lets time pass in silence. */
  advance(nowMs: number): void {
    while (this.headMs < nowMs && !this.paused && this.queue.length > 0) {
      const q = this.queue[0]!;
      const n = Math.min(q.samples.length - q.pos, Math.ceil((nowMs - this.headMs) * this.perMs - 1e-9));
      if (n <= 0) break;
      this.emit(q, n);
      this.headMs += n / this.perMs;
      q.pos += n;
      if (q.pos >= q.samples.length) this.queue.shift();
    }
    // Idle or paused: the head waits at now; the next sample plays from then on.
    if (this.headMs < nowMs) this.headMs = nowMs;
  }

  private emit(q: Queued, n: number): void {
    const at = Math.round((this.headMs - this.originMs) * this.perMs);
    for (let i = 0; i < n; i++) {
      const k = at + i;
      if (k >= 0 && k < this.speaker.length) this.speaker[k] = q.samples[q.pos + i]! * q.gain;
    }
    const from = q.offset + q.pos;
    const last = this.spans.at(-1);
    const startMs = this.headMs;
    const endMs = this.headMs + n / this.perMs;
    if (last && last.itemId === q.itemId && last.to === from && Math.abs(last.endMs - startMs) < 1e-6) {
      last.endMs = endMs;
      last.to = from + n;
    } else {
      this.spans.push({ itemId: q.itemId, responseId: q.responseId, startMs, endMs, from, to: from + n });
    }
  }
}

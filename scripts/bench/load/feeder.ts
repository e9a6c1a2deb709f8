// Feeds many sessions at real-time pace: each session sends one 20 ms chunk every 20 ms, the
// sessions' phases spread evenly over the 20 ms period (as independent clients would be).
// The actual send time of every chunk is kept, so probes measure from when the server could
// first have had the audio, whatever the generator's own lateness (reported separately).
import { CHUNK_MS } from './speech-audio.js';
import type { WsSession } from './ws-session.js';
import { summarize, type Summary } from './stats.js';

export interface FeedStream {
  session: WsSession;
  /** The chunk for this session's next 20 ms (called once per chunk, in stream order). */
  next: () => Buffer;
}

export class RealtimeFeeder {
  /** Per stream: send time (performance clock) of chunk k at [k]. */
  readonly sendTimes: Float64Array[];
  /** Per stream: chunks sent so far. */
  readonly sent: Int32Array;
  private readonly lateness: Float32Array;
  private latenessCount = 0;
  private startAt = 0;
  private readonly phases: Float64Array;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly streams: FeedStream[],
    private readonly maxChunks: number,
  ) {
    this.sendTimes = streams.map(() => new Float64Array(maxChunks));
    this.sent = new Int32Array(streams.length);
    this.phases = Float64Array.from(streams, (_s, i) => (i * CHUNK_MS) / streams.length);
    this.lateness = new Float32Array(streams.length * maxChunks);
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Chunk k of stream i is due at start + phase_i + (k + 1) * 20 ms: a chunk leaves once captured. */
  start(delayMs = 50): void {
    this.startAt = performance.now() + delayMs;
    this.timer = setInterval(() => this.tick(), 1);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** When chunk k of stream i was sent, or NaN if not yet. */
  sentAt(stream: number, chunk: number): number {
    return chunk >= 0 && chunk < this.sent[stream]! ? this.sendTimes[stream]![chunk]! : NaN;
  }

  /** How late chunks left relative to their real-time schedule (the generator's own lag). */
  latenessSummary(): Summary {
    return summarize(Array.from(this.lateness.subarray(0, this.latenessCount)));
  }

  private tick(): void {
    const streams = this.streams;
    let finished = 0;
    for (let i = 0; i < streams.length; i++) {
      const stream = streams[i]!;
      if (stream.session.closed) {
        finished++;
        continue;
      }
      let k = this.sent[i]!;
      const base = this.startAt + this.phases[i]! + CHUNK_MS;
      while (k < this.maxChunks && base + k * CHUNK_MS <= performance.now()) {
        stream.session.sendAudio(stream.next());
        const now = performance.now();
        this.sendTimes[i]![k] = now;
        this.lateness[this.latenessCount++] = now - (base + k * CHUNK_MS);
        k++;
      }
      this.sent[i] = k;
      if (k >= this.maxChunks) finished++;
    }
    if (finished === streams.length) this.stop();
  }
}

// Runs the VAD frames of every live session through the one shared model. Frames
// waiting when the model becomes free go into one batched inference (up to
// `maxBatch`), so the per-call overhead is paid once per batch rather than once per
// session. Each stream has at most one frame in flight: its next frame needs the
// recurrent state this one produces.
//
// Sessions' frames arrive at unrelated moments (each one's 20 ms chunks), so frames that merely
// arrive together make batches of one or two. A frame therefore waits up to `batchWindowMs` for
// others, unless every live stream already has one queued (a lone session never waits).
// Measured here (v5, one core): 228 us a frame alone, 133 in pairs, 89 in fours.
//
// Measured (scripts/bench/vad.ts, one core): a v5 frame costs ~140 us alone and ~55 us in
// batches of 32+ (v4: ~185 / ~80 us); with 32 live sessions the front-end's CPU per audio
// second (VAD + Mel) is about halved by batching (2.9 vs 5.6 ms), and a lone session runs
// batches of one, so batching costs nothing there.
import { VAD_FRAME_SAMPLES, type SileroState, type VadModel } from './silero.js';

export interface VadSchedulerOptions {
  /** Largest batch per inference; 1 turns batching off. */
  maxBatch?: number;
  /** Most a frame waits for other streams' frames to join its batch, ms (0: only those that arrive together). */
  batchWindowMs?: number;
}

interface PendingFrame {
  stream: VadStream;
  resolve: (probability: number) => void;
  reject: (error: unknown) => void;
}

export interface VadSchedulerStats {
  inferences: number;
  frames: number;
  /** Largest batch run so far. */
  largestBatch: number;
}

export class VadScheduler {
  readonly model: VadModel;
  private readonly maxBatch: number;
  private readonly batchWindowMs: number;
  private queue: PendingFrame[] = [];
  private running = false;
  private scheduled = false;
  private windowTimer: NodeJS.Timeout | null = null;
  private liveStreams = 0;
  private closed = false;
  private readonly counters: VadSchedulerStats = { inferences: 0, frames: 0, largestBatch: 0 };
  // Reused per batch (the model copies frames and states before its first await).
  private batchFrames: Float32Array[] = [];
  private batchStates: SileroState[] = [];

  constructor(model: VadModel, options: VadSchedulerOptions = {}) {
    this.model = model;
    this.maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 64));
    this.batchWindowMs = Math.max(0, options.batchWindowMs ?? 0);
  }

  get stats(): Readonly<VadSchedulerStats> {
    return this.counters;
  }

  /** A new stream with fresh recurrent state (one per session). */
  createStream(): VadStream {
    if (this.closed) throw new Error('VAD scheduler closed');
    this.liveStreams++;
    return new VadStream(this);
  }

  /** Rejects frames still waiting; the model itself belongs to the caller. */
  close(): void {
    this.closed = true;
    this.clearWindow();
    const waiting = this.queue;
    this.queue = [];
    for (const p of waiting) p.reject(new Error('VAD scheduler closed'));
  }

  /** @internal Queues a stream's frame (already copied into the stream). */
  enqueue(pending: PendingFrame): void {
    if (this.closed) {
      pending.reject(new Error('VAD scheduler closed'));
      return;
    }
    this.queue.push(pending);
    if (this.running || this.scheduled) return;
    // Every live stream is waiting (or the window is off): run after the current I/O phase, so
    // frames that arrive together share a batch. Otherwise wait for others, at most the window.
    if (this.batchWindowMs === 0 || this.queue.length >= Math.min(this.liveStreams, this.maxBatch)) this.scheduleDrain();
    else this.windowTimer ??= setTimeout(() => {
      this.windowTimer = null;
      this.scheduleDrain();
    }, this.batchWindowMs);
  }

  private scheduleDrain(): void {
    this.clearWindow();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private clearWindow(): void {
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = null;
  }

  /** @internal Drops a closed stream's waiting frame; it no longer counts as live. */
  forget(stream: VadStream): void {
    this.liveStreams--;
    const kept: PendingFrame[] = [];
    for (const p of this.queue) {
      if (p.stream === stream) p.reject(new Error('VAD stream closed'));
      else kept.push(p);
    }
    this.queue = kept;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
        const n = batch.length;
        this.batchFrames.length = n;
        this.batchStates.length = n;
        for (let i = 0; i < n; i++) {
          this.batchFrames[i] = batch[i].stream.frame;
          this.batchStates[i] = batch[i].stream.state;
        }
        let probabilities: Float32Array;
        try {
          probabilities = await this.model.infer(this.batchFrames, this.batchStates, n);
        } catch (error) {
          for (const p of batch) p.reject(error);
          continue;
        }
        this.counters.inferences++;
        this.counters.frames += n;
        if (n > this.counters.largestBatch) this.counters.largestBatch = n;
        for (let i = 0; i < n; i++) batch[i].resolve(probabilities[i]);
        // Let the streams just answered queue their next frames (their callbacks are the
        // microtasks queued above) so that they ride in the very next batch: each batch costs an
        // event-loop turn (ort-node defers its run with setImmediate), and a stream that skipped
        // one took two turns a frame. Under load a turn can outlast a frame's 32 ms, and a stream
        // behind its audio then never caught up (bench:conversation, 90 sessions: VAD backlog p99
        // 1.1 s before, 0.4 s after).
        await null;
      }
    } finally {
      this.running = false;
    }
  }
}

/** One session's VAD: its recurrent state and its one frame in flight. */
export class VadStream {
  /** @internal The frame in flight (copied here so the caller's buffer may change). */
  readonly frame = new Float32Array(VAD_FRAME_SAMPLES);
  /** @internal */
  readonly state: SileroState;
  private readonly scheduler: VadScheduler;
  private busy = false;
  private closed = false;

  constructor(scheduler: VadScheduler) {
    this.scheduler = scheduler;
    this.state = scheduler.model.newState();
  }

  /** Speech probability of the next 512-sample frame of this stream. One call at a time. */
  infer(frame: Float32Array): Promise<number> {
    if (this.closed) return Promise.reject(new Error('VAD stream closed'));
    if (this.busy) return Promise.reject(new Error('VAD stream already has a frame in flight'));
    if (frame.length !== VAD_FRAME_SAMPLES) return Promise.reject(new RangeError(`VAD frame must have ${VAD_FRAME_SAMPLES} samples`));
    this.frame.set(frame);
    this.busy = true;
    return new Promise<number>((resolve, reject) => {
      this.scheduler.enqueue({
        stream: this,
        resolve: (p) => {
          this.busy = false;
          resolve(p);
        },
        reject: (e) => {
          this.busy = false;
          reject(e);
        },
      });
    });
  }

  /** The next frame went by without the model (QuietFrames): the one after it follows on from it. */
  passOver(frame: Float32Array): void {
    this.state.follow(frame);
  }

  /** Forgets the recurrent state (a new, unrelated stretch of audio follows). */
  reset(): void {
    this.state.reset();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.forget(this);
  }
}

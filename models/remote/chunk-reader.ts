// Reads a response body chunk by chunk in flowing mode. Readable's own async
// iterator runs the stream in paused mode, with a 'readable' event, a read()
// and a fresh promise per chunk; on the per-token path of every stream that is
// most of the reading cost. Here a chunk that is already queued is returned
// without a promise, and a promise is made only when the reader must wait.

import type { Readable } from 'node:stream';

/** The queue length at which the stream is paused until the reader catches up. */
const HIGH_WATER_CHUNKS = 64;

export class ChunkReader<T> {
  private readonly queue: T[] = [];
  private head = 0;
  private ended = false;
  private failure: Error | null = null;
  private waiter: { resolve: (chunk: T | null) => void; reject: (err: Error) => void } | null = null;

  constructor(private readonly stream: Readable) {
    stream.on('data', (chunk: T) => {
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = null;
        waiter.resolve(chunk);
        return;
      }
      this.queue.push(chunk);
      if (this.queue.length - this.head >= HIGH_WATER_CHUNKS) stream.pause();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('error', (err: Error) => {
      this.failure ??= err;
      this.wake();
    });
    stream.on('close', () => {
      // Destroyed before its end, with no error of its own (an abort, a dropped socket).
      if (!this.ended) this.failure ??= Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      this.wake();
    });
  }

  /** The next chunk; null at the end of the body; throws the stream's error (queued chunks come first). */
  next(): T | null | Promise<T | null> {
    if (this.head < this.queue.length) {
      const chunk = this.queue[this.head]!;
      this.head += 1;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
        if (this.stream.isPaused() && !this.ended) this.stream.resume();
      }
      return chunk;
    }
    if (this.failure) throw this.failure;
    if (this.ended) return null;
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    if (this.failure) waiter.reject(this.failure);
    else waiter.resolve(null);
  }
}

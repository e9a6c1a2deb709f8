import { CHUNK_SAMPLES, noiseFloor, toChunks } from './speech-audio.js';

const FLOOR_CHUNKS = toChunks(noiseFloor(CHUNK_SAMPLES * 50, 99));

/** One session's microphone: queued speech chunks, else the noise floor (a live mic never stops). */
export class ChunkQueue {
  private queue: Buffer[] = [];
  private head = 0;
  /** Chunks handed out so far (= the stream position of the next chunk). */
  private taken = 0;

  /** Queues chunks; returns the stream index their first chunk will have. */
  enqueue(chunks: Buffer[]): number {
    const at = this.taken + (this.queue.length - this.head);
    if (this.head > 0) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.queue.push(...chunks);
    return at;
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  next = (): Buffer => {
    const k = this.taken++;
    if (this.head < this.queue.length) return this.queue[this.head++]!;
    return FLOOR_CHUNKS[k % FLOOR_CHUNKS.length]!;
  };
}

/** Resolves once the queue has handed out everything queued so far (polls; the feeder drains it). */
export async function drained(q: ChunkQueue): Promise<void> {
  while (q.pending > 0) await new Promise((r) => setTimeout(r, 20));
}

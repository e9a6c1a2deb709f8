// The canceller's framing: float samples as they arrive in, whole 10 ms int16 frames to process
// (the rest waits for the next call), and the float samples of the frames handed on out, in one
// buffer reused from call to call (a new typed array per 20 ms chunk cost about a microsecond
// each, plus the GC of its backing store).
import { ECHO_BLOCK_SAMPLES } from './reference.js';

const FRAME = ECHO_BLOCK_SAMPLES;

export class FrameFraming {
  private readonly pending = new Int16Array(FRAME);
  private pendingCount = 0;
  private buffer = new Float32Array(FRAME * 4);
  private written = 0;

  /**
   * Cuts `samples` into whole frames, handing each to `each` (which hands on what goes out: emit),
   * with room for `extraFrames` more going out (frames held back before). Returns a view of the
   * output, which the next call reuses.
   */
  frames(samples: Float32Array, extraFrames: number, each: (frame: Int16Array) => void): Float32Array {
    this.begin(Math.floor((this.pendingCount + samples.length) / FRAME) + extraFrames);
    const pending = this.pending;
    for (let i = 0; i < samples.length; ) {
      const take = Math.min(FRAME - this.pendingCount, samples.length - i);
      for (let k = 0, at = this.pendingCount; k < take; k++) {
        const v = Math.round(samples[i + k]! * 32768);
        pending[at + k] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      i += take;
      this.pendingCount += take;
      if (this.pendingCount === FRAME) {
        each(pending);
        this.pendingCount = 0;
      }
    }
    return this.output;
  }

  /** Starts an output of at most `frames` frames (frames() does; so does a flush). */
  begin(frames: number): void {
    if (this.buffer.length < frames * FRAME) this.buffer = new Float32Array(frames * FRAME * 2);
    this.written = 0;
  }

  /** One frame goes out. */
  emit(frame: Int16Array): void {
    const out = this.buffer;
    const at = this.written;
    for (let k = 0; k < FRAME; k++) out[at + k] = frame[k]! / 32768;
    this.written += FRAME;
  }

  /** What went out since the output began. */
  get output(): Float32Array {
    return this.buffer.subarray(0, this.written);
  }
}

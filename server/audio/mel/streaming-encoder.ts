import type { MelFeatures } from '../../../models/types.js';
import { FrameProcessor } from './frame-processor.js';
import { normalizeUtterance } from './normalize.js';
import { validateMelOptions, type MelOptions } from './options.js';

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** torch-style reflection without repeating the edge sample (-1 -> 1, n -> n - 2), periodic for short signals. */
function reflectIndex(i: number, n: number): number {
  if (n <= 1) return 0;
  if (i >= 0 && i < n) return i;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/**
 * Streaming log-Mel encoder: one FFT per hop, each frame computed exactly once, as soon as its
 * window is complete.
 *
 * Streaming vs batch: a frame is emitted by push() once every sample it needs has arrived, so with
 * centre padding the last frames (whose windows reach past the end of the signal and need the
 * right-hand reflection) only appear when finish() declares the end of the stream. push() + finish()
 * gives exactly computeMel()'s frames, bit for bit, whatever the chunking; without finish() the
 * frames emitted so far are the same numbers as batch's first frames.
 *
 * Memory: a ring of samples (~ window + hop) and a ring of frames that grows (by doubling) up to
 * `maxRetainedFrames`; past that the oldest frames are dropped. The owner normally calls
 * discardBefore() as it consumes frames, and then nothing is allocated in the steady state.
 */
export class StreamingMelEncoder {
  readonly options: MelOptions;
  private readonly processor: FrameProcessor;
  // Copies of the options used per hop (see FrameProcessor on why not read them from `options`).
  private readonly bins: number;
  private readonly hop: number;
  private readonly win: number;
  private readonly nFft: number;
  private readonly snipEdges: boolean;
  private readonly reflect: boolean;
  private readonly dropLast: boolean;
  /** In a Float64Array, not a field: see FrameProcessor on V8's boxed double fields. */
  private readonly inputScale = new Float64Array(1);
  private readonly maxRetained: number;
  private readonly pad: number;
  private readonly firstWindowStart: number;
  private readonly samples: Float64Array;
  private readonly sampleMask: number;
  /** A padded window (reflected or zero samples past the edges), for the few frames at the ends. */
  private readonly edge: Float64Array;
  private frames: Float32Array;
  private frameMask: number;
  private received = 0;
  private emitted = 0;
  private retainedFrom = 0;
  private ended = false;

  constructor(options: MelOptions) {
    validateMelOptions(options);
    this.options = options;
    this.processor = new FrameProcessor(options);
    this.bins = options.nMels;
    this.hop = options.hopLength;
    this.win = options.winLength;
    this.nFft = options.nFft;
    this.snipEdges = options.padding === 'snip-edges';
    this.reflect = options.padding === 'center-reflect';
    this.dropLast = options.dropLastFrame;
    this.inputScale[0] = options.inputScale;
    this.maxRetained = options.maxRetainedFrames;
    const centred = !this.snipEdges;
    this.pad = centred ? options.nFft / 2 : 0;
    // torch.stft centres a shorter window inside the n_fft frame.
    this.firstWindowStart = centred ? -this.pad + Math.floor((options.nFft - options.winLength) / 2) : 0;
    const sampleCapacity = nextPow2(options.winLength + this.pad + options.hopLength + 2);
    this.samples = new Float64Array(sampleCapacity);
    this.sampleMask = sampleCapacity - 1;
    this.edge = new Float64Array(nextPow2(options.winLength));
    // 128 frames (1.3 s at a 10 ms hop) to start; the ring grows to what the owner retains.
    const frameCapacity = nextPow2(Math.min(options.maxRetainedFrames, 128));
    this.frames = new Float32Array(frameCapacity * this.bins);
    this.frameMask = frameCapacity - 1;
  }

  /** Total frames emitted since construction/reset. */
  get frameCount(): number {
    return this.emitted;
  }

  /** Samples pushed since construction/reset. */
  get sampleCount(): number {
    return this.received;
  }

  /** First absolute frame index read() still accepts. */
  get firstRetainedFrame(): number {
    return this.retainedFrom;
  }

  /** True after finish(), until reset(). */
  get finished(): boolean {
    return this.ended;
  }

  /** Sample index (since start/reset) at the centre of frame `frame`. */
  frameCenterSample(frame: number): number {
    return this.windowStart(frame) + this.win / 2;
  }

  /** Frames a batch computation over `n` samples produces. */
  framesForSamples(n: number): number {
    if (this.snipEdges) return n >= this.win ? Math.floor((n - this.win) / this.hop) + 1 : 0;
    if (n === 0) return 0;
    const padded = n + 2 * this.pad;
    const count = padded >= this.nFft ? Math.floor((padded - this.nFft) / this.hop) + 1 : 0;
    return Math.max(0, count - (this.dropLast ? 1 : 0));
  }

  /** Feeds samples of any length; computes every frame whose window is complete. Returns frameCount. */
  push(samples: Float32Array<ArrayBufferLike>): number {
    if (this.ended) throw new Error('StreamingMelEncoder: push() after finish(); call reset() first');
    const scale = this.inputScale[0];
    const ring = this.samples;
    const mask = this.sampleMask;
    let pos = 0;
    while (pos < samples.length) {
      const free = ring.length - (this.received - this.keepFrom());
      const take = Math.min(samples.length - pos, free);
      let at = this.received;
      for (let i = 0; i < take; i++) ring[at++ & mask] = samples[pos + i] * scale;
      this.received = at;
      pos += take;
      this.emitReady();
    }
    return this.emitted;
  }

  /**
   * Declares the end of the stream: computes the tail frames that need padding past the last sample
   * (centre modes), so the frames equal computeMel()'s. push() is refused until reset().
   */
  finish(): number {
    if (this.ended) return this.emitted;
    this.ended = true;
    const total = this.framesForSamples(this.received);
    while (this.emitted < total) this.computeFrame(this.emitted);
    return this.emitted;
  }

  /** Frames [from, to) with the preset's utterance-level normalisation applied over that range. */
  read(fromFrame: number, toFrame: number): MelFeatures {
    const features = this.readRaw(fromFrame, toFrame);
    normalizeUtterance(features.data, features.frames, features.bins, this.options);
    return features;
  }

  /** Frames [from, to) before utterance-level normalisation (global CMVN, being per frame, is applied). */
  readRaw(fromFrame: number, toFrame: number): MelFeatures {
    const frames = toFrame - fromFrame;
    const data = new Float32Array(Math.max(frames, 0) * this.bins);
    this.copyFrames(fromFrame, toFrame, data);
    return { preset: this.options.name, frames, bins: this.bins, data };
  }

  /** Copies raw frames [from, to) into `out` (frames x bins) without allocating. */
  copyFrames(fromFrame: number, toFrame: number, out: Float32Array<ArrayBufferLike>): void {
    if (!Number.isInteger(fromFrame) || !Number.isInteger(toFrame) || fromFrame > toFrame || fromFrame < 0) {
      throw new RangeError(`mel read: bad frame range [${fromFrame}, ${toFrame})`);
    }
    if (fromFrame < this.retainedFrom) {
      throw new RangeError(`mel read: frame ${fromFrame} already discarded (first retained ${this.retainedFrom})`);
    }
    if (toFrame > this.emitted) throw new RangeError(`mel read: frame ${toFrame - 1} not computed yet (${this.emitted} so far)`);
    if (out.length < (toFrame - fromFrame) * this.bins) throw new RangeError('mel read: output buffer too small');
    const bins = this.bins;
    for (let t = fromFrame; t < toFrame; t++) {
      const src = (t & this.frameMask) * bins;
      out.set(this.frames.subarray(src, src + bins), (t - fromFrame) * bins);
    }
  }

  /** First sample of frame `frame`'s window (negative for the first frames of a centred preset). */
  frameWindowStart(frame: number): number {
    return this.windowStart(frame);
  }

  /**
   * Skips ahead: goes on as if every frame before `frame` had been computed and discarded. The
   * caller then pushes the stream from sample frameWindowStart(frame) on (returned), and frames
   * from `frame` on equal those of an encoder fed the whole stream, except with dither (its
   * random sequence would differ). The window must start at or after the samples pushed so far.
   */
  seek(frame: number): number {
    const start = this.windowStart(frame);
    if (this.ended || !Number.isInteger(frame) || frame < this.emitted || start < this.received) {
      throw new RangeError(`mel seek: cannot skip to frame ${frame} (${this.emitted} frames, ${this.received} samples so far)`);
    }
    this.received = start;
    this.emitted = frame;
    this.retainedFrom = frame;
    return start;
  }

  /** Lets the encoder free frames before this absolute index. */
  discardBefore(frame: number): void {
    this.retainedFrom = Math.max(this.retainedFrom, Math.min(Math.floor(frame), this.emitted));
  }

  reset(): void {
    this.received = 0;
    this.emitted = 0;
    this.retainedFrom = 0;
    this.ended = false;
    this.processor.resetDither();
  }

  private windowStart(frame: number): number {
    return frame * this.hop + this.firstWindowStart;
  }

  /** Oldest sample index still needed: the next frame's window, or the tail kept for right reflection. */
  private keepFrom(): number {
    const start = Math.max(this.windowStart(this.emitted), 0);
    return Math.max(0, Math.min(start, this.received - this.pad - 1));
  }

  private emitReady(): void {
    const limit = this.framesForSamples(this.received);
    for (;;) {
      const t = this.emitted;
      if (t >= limit) return;
      const start = this.windowStart(t);
      if (start + this.win > this.received) return;
      if (start < 0 && this.reflect && -start >= this.received) return;
      this.computeFrame(t);
    }
  }

  private computeFrame(t: number): void {
    const ring = this.samples;
    const n = this.received;
    const start = this.windowStart(t);
    const win = this.win;
    if (t - this.retainedFrom >= this.maxRetained) this.retainedFrom = t - this.maxRetained + 1;
    if (t - this.retainedFrom > this.frameMask) this.growFrames();
    const row = (t & this.frameMask) * this.bins;
    if (start >= 0 && start + win <= n) {
      this.processor.computeRow(ring, start, this.sampleMask, this.frames, row);
    } else {
      const edge = this.edge;
      const mask = this.sampleMask;
      const reflect = this.reflect;
      for (let i = 0; i < win; i++) {
        const idx = start + i;
        if (idx >= 0 && idx < n) edge[i] = ring[idx & mask];
        else edge[i] = reflect ? ring[reflectIndex(idx, n) & mask] : 0;
      }
      this.processor.computeRow(edge, 0, edge.length - 1, this.frames, row);
    }
    this.emitted = t + 1;
  }

  private growFrames(): void {
    const capacity = (this.frameMask + 1) * 2;
    const grown = new Float32Array(capacity * this.bins);
    const mask = capacity - 1;
    for (let t = this.retainedFrom; t < this.emitted; t++) {
      const src = (t & this.frameMask) * this.bins;
      grown.set(this.frames.subarray(src, src + this.bins), (t & mask) * this.bins);
    }
    this.frames = grown;
    this.frameMask = mask;
  }
}

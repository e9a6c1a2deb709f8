import { Value } from '@sinclair/typebox/value';
import type { ImageInput } from '../../models/types.js';
import { VisionSection } from '../config/sections/vision.js';
import { framesWanted, pickEvenlySpaced, type FrameSamplingPolicy } from './frame-sampling.js';

export interface FrameBufferOptions extends FrameSamplingPolicy {
  /** A gap between two frames longer than this clears the buffer (the camera was off). */
  frameGapResetMs: number;
  /** Frame count cap; past it frames are thinned so the rest stay evenly spaced. */
  maxBufferedFrames: number;
  /** Encoded-bytes cap, enforced the same way (the newest frame is always kept). */
  maxBufferedBytes: number;
  /** Session clock in ms, used when a frame comes without a timestamp. */
  now: () => number;
}

function defaults(): FrameBufferOptions {
  const vision = Value.Default(VisionSection, {}) as VisionSection;
  return { ...vision, now: () => performance.now() };
}

/**
 * Recent camera frames of one session (VITA: the last 4 s, cleared after a 1 s gap), and the
 * choice of frames that go with each spoken query. Memory is bounded by count and bytes whatever
 * the client's frame rate. All times are on the session clock, in ms.
 */
export class FrameBuffer {
  private readonly options: FrameBufferOptions;
  /** Sorted by capturedAtMs, which is always set. */
  private readonly frames: ImageInput[] = [];
  private bytes = 0;
  private lastArrivalMs: number | undefined;
  private utteranceStartMs: number | undefined;

  constructor(options: Partial<FrameBufferOptions> = {}) {
    this.options = { ...defaults(), ...options };
  }

  get size(): number {
    return this.frames.length;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** A copy of the frames held, oldest first. */
  snapshot(): ImageInput[] {
    return this.frames.slice();
  }

  clear(): void {
    this.frames.length = 0;
    this.bytes = 0;
  }

  /**
   * Adds a validated frame taken at `atMs` (default: its capturedAtMs, else the clock).
   * Timestamps that go backwards are clamped to the latest one.
   */
  push(frame: ImageInput, atMs?: number): void {
    let t = atMs ?? frame.capturedAtMs ?? this.options.now();
    if (this.lastArrivalMs !== undefined) {
      if (t < this.lastArrivalMs) t = this.lastArrivalMs;
      if (t - this.lastArrivalMs > this.options.frameGapResetMs) this.clear();
    }
    this.lastArrivalMs = t;
    this.frames.push(frame.capturedAtMs === t ? frame : { ...frame, capturedAtMs: t });
    this.bytes += frame.bytes.byteLength;
    this.dropExpired(t);
    while (this.frames.length > this.options.maxBufferedFrames || (this.bytes > this.options.maxBufferedBytes && this.frames.length > 1)) {
      this.thinOne();
    }
  }

  /**
   * Speech started at `startMs`: keep frames from then on (beyond the window) until the
   * utterance's frames are selected, so a long query can get one frame per second.
   */
  beginUtterance(startMs: number): void {
    this.utteranceStartMs = startMs;
  }

  /** The utterance was dropped: go back to keeping only the window. */
  endUtterance(): void {
    this.utteranceStartMs = undefined;
  }

  /**
   * Frames for the query spoken from `startMs` to `endMs`, oldest first: `framesPerQuery` evenly
   * spaced over the last `frameWindowMs` before `endMs`; for an utterance longer than the window,
   * one per second of the utterance (between `framesPerQuery` and `maxFramesPerQuery`). Fewer when
   * fewer were captured. Ends the utterance begun with beginUtterance.
   */
  selectForUtterance(startMs: number, endMs: number): ImageInput[] {
    this.utteranceStartMs = undefined;
    const spanMs = Math.max(0, endMs - startMs);
    const wanted = framesWanted(spanMs, this.options);
    if (wanted === 0) return [];
    const fromMs = spanMs > this.options.frameWindowMs ? startMs : endMs - this.options.frameWindowMs;
    const candidates = this.frames.filter((f) => f.capturedAtMs! >= fromMs && f.capturedAtMs! <= endMs);
    return pickEvenlySpaced(candidates.map((f) => f.capturedAtMs!), wanted).map((i) => candidates[i]!);
  }

  private dropExpired(nowMs: number): void {
    let horizon = nowMs - this.options.frameWindowMs;
    if (this.utteranceStartMs !== undefined) horizon = Math.min(horizon, this.utteranceStartMs - this.options.frameWindowMs);
    let expired = 0;
    while (expired < this.frames.length - 1 && this.frames[expired]!.capturedAtMs! < horizon) expired++;
    for (let i = 0; i < expired; i++) this.bytes -= this.frames[i]!.bytes.byteLength;
    if (expired > 0) this.frames.splice(0, expired);
  }

  /** Removes the inner frame whose neighbours are closest together, keeping spacing even. */
  private thinOne(): void {
    let victim = 0;
    if (this.frames.length > 2) {
      let narrowest = Infinity;
      for (let i = 1; i < this.frames.length - 1; i++) {
        const gap = this.frames[i + 1]!.capturedAtMs! - this.frames[i - 1]!.capturedAtMs!;
        if (gap < narrowest) {
          narrowest = gap;
          victim = i;
        }
      }
    }
    this.bytes -= this.frames[victim]!.bytes.byteLength;
    this.frames.splice(victim, 1);
  }
}

// What the session said, as the client plays it: the echo canceller's reference.
//
// Output audio is kept at 16 kHz (the input pipeline's rate) on a sample clock derived from
// the server's wall clock: sample index i is wall time `originMs + i / 16`. A frame is placed
// where the client starts playing it under the pacer's listener model (voice/pacer.ts): right
// after the audio already queued, or at the moment it was sent when the client had run dry.
// So audio sent ahead by the pacer lands in the future of the clock, a stall leaves silence,
// and a resumed answer continues at max(end of what was queued, now).
//
// cut(atMs) is what the client does on `duet.output_audio.clear` or after a truncate: the
// audio not yet played is dropped, so it is erased from the reference too.
//
// Memory is bounded: a ring of the last `capacityMs` of samples (int16, what the canceller
// takes) and a longer ring of 10 ms block energies for the delay estimator.
import { StreamingResampler } from '../resample.js';
import { fractionalSpan, readAtFraction } from './fractional-delay.js';
import { PIPELINE_SAMPLE_RATE } from '../types.js';

const SAMPLES_PER_MS = PIPELINE_SAMPLE_RATE / 1000;
/** The delay estimator's grain: one energy per 10 ms of reference. */
export const ECHO_BLOCK_SAMPLES = 160;
/** A frame starting this much after the queued audio ended is a stall (silence in between), not timer jitter. */
const STALL_TOLERANCE_MS = 20;

/** What the speech output hands over for every audio frame it sends. */
export interface OutputAudioTap {
  /** `samples` (float, `sampleRate`) left the server at wall time `sentAtMs` (performance.now()). */
  sent(samples: Float32Array, sampleRate: number, sentAtMs: number): void;
  /** The client drops what it has not played yet (answer cancelled or truncated at `atMs`). */
  cut(atMs: number): void;
}

/** Silence the reference placed where it expects the client to have run dry. */
export interface RunGap {
  /** Absolute sample index where the silence starts (the end of what was queued before). */
  start: number;
  samples: number;
  /** lastSoundSample as the silence was placed (-1: nothing audible before it). */
  lastSoundBefore: number;
  /** The silence follows a cut: the client dropped what it held, so it surely ran dry. */
  afterCut: boolean;
}

export interface EchoReferenceOptions {
  /** Wall time (performance.now()) of sample 0. */
  originMs: number;
  /** Samples kept (default 2500 ms: the pacer's lead, the longest echo delay and slack). */
  capacityMs?: number;
  /** Block energies kept for the delay estimator (default 8000 ms). */
  energyHistoryMs?: number;
}

export class EchoReference implements OutputAudioTap {
  readonly originMs: number;
  private readonly ring: Int16Array;
  private readonly energies: Float32Array;
  private resampler: StreamingResampler | null = null;
  /** Absolute index one past the last sample written (the end of what the client has queued). */
  private cursor = 0;
  /** Blocks below this have their final energy. */
  private energyDone = 0;
  private written = 0;
  private erased = 0;
  private runCount = 1;
  private runGap: RunGap = { start: 0, samples: 0, lastSoundBefore: -1, afterCut: false };
  /** A cut since the last frame written. */
  private cutSinceWrite = false;
  private lastSound = -1;
  private scratch = new Int16Array(0);

  constructor(options: EchoReferenceOptions) {
    this.originMs = options.originMs;
    this.ring = new Int16Array(Math.round((options.capacityMs ?? 2500) * SAMPLES_PER_MS));
    this.energies = new Float32Array(Math.ceil(((options.energyHistoryMs ?? 8000) * SAMPLES_PER_MS) / ECHO_BLOCK_SAMPLES));
  }

  /** Sample index of wall time `ms` (may be fractional; callers round). */
  indexAt(ms: number): number {
    return (ms - this.originMs) * SAMPLES_PER_MS;
  }

  /** End of the audio queued at the client, absolute sample index. */
  get end(): number {
    return this.cursor;
  }

  /**
   * Runs of contiguous playback so far: a new one starts where a frame is placed after silence
   * (a new answer, or a stall: the client ran dry). Within a run the client plays sample after
   * sample on its own clock; each run is placed by the server's.
   */
  get runs(): number {
    return this.runCount;
  }

  /** The silence placed before the latest run (EchoReference.runs): a stall, or the pause before an answer. */
  get latestRunGap(): Readonly<RunGap> {
    return this.runGap;
  }

  /** 16 kHz samples written from sent frames (silence filling a stall not included). */
  get writtenSamples(): number {
    return this.written;
  }

  /**
   * Every sample after this absolute index is silence (0), and so is every block that starts
   * after it (-1: nothing audible written yet). A bound, not exact: a cut does not lower it. The
   * canceller skips its per-frame reads of the reference past it (between answers, most of a
   * session's time).
   */
  get lastSoundSample(): number {
    return this.lastSound;
  }

  /** Samples written and then erased by cut() before they were played. */
  get erasedSamples(): number {
    return this.erased;
  }

  sent(samples: Float32Array, sampleRate: number, sentAtMs: number): void {
    if (!this.resampler || this.resampler.fromRate !== sampleRate) {
      if (this.resampler) this.write(this.resampler.flush());
      this.resampler = new StreamingResampler(sampleRate, PIPELINE_SAMPLE_RATE);
    }
    const at = Math.round(this.indexAt(sentAtMs));
    // The client ran dry and starts this frame when it arrives. (The resampler keeps its state
    // across the gap, as a client's playback resampler does: its few held-back samples follow it.)
    if (at > this.cursor + STALL_TOLERANCE_MS * SAMPLES_PER_MS) this.advanceTo(at);
    this.write(this.resampler.process(samples));
  }

  cut(atMs: number): void {
    if (this.resampler) this.write(this.resampler.flush());
    const at = Math.max(0, Math.round(this.indexAt(atMs)));
    this.cutSinceWrite = true;
    if (at >= this.cursor) return;
    const from = Math.max(at, this.cursor - this.ring.length);
    for (let i = from; i < this.cursor; i++) this.ring[i % this.ring.length] = 0;
    this.erased += this.cursor - from;
    this.cursor = at;
    this.energyDone = Math.min(this.energyDone, Math.floor(at / ECHO_BLOCK_SAMPLES));
    this.finishEnergies();
  }

  /**
   * Copies samples [from, from + out.length) into `out`: zeros where nothing was sent, where
   * audio was cut, or where the ring no longer holds it.
   */
  read(from: number, out: Int16Array): void {
    // The samples held are [max(0, cursor - ring), cursor): copied in at most two spans (the ring wraps), zeros around them.
    const n = this.ring.length;
    const start = Math.min(Math.max(from, this.cursor - n, 0), from + out.length);
    const end = Math.max(start, Math.min(from + out.length, this.cursor));
    out.fill(0, 0, start - from);
    for (let at = start; at < end; ) {
      const offset = at % n;
      const run = Math.min(end - at, n - offset);
      out.set(this.ring.subarray(offset, offset + run), at - from);
      at += run;
    }
    out.fill(0, end - from);
  }

  /** read() at a whole sample, readFractional() between samples. */
  readAt(from: number, out: Int16Array): void {
    if (Number.isInteger(from)) this.read(from, out);
    else this.readFractional(from, out);
  }

  /** Like read(), at a position between samples (fractional-delay.ts). */
  readFractional(from: number, out: Int16Array): void {
    const { first, span } = fractionalSpan(from, out.length);
    if (this.scratch.length < span) this.scratch = new Int16Array(span);
    this.read(first, this.scratch.subarray(0, span));
    readAtFraction(this.scratch, first, from, out);
  }

  /** The oldest sample still held (read() gives zeros before it). */
  get oldestHeld(): number {
    return Math.max(0, this.cursor - this.ring.length);
  }

  /** Mean square (int16 units) of 10 ms block `block`, or 0 when unknown (not yet played out, or forgotten). */
  blockEnergy(block: number): number {
    if (block < 0 || block >= this.energyDone || block < this.energyDone - this.energies.length) return 0;
    return this.energies[block % this.energies.length];
  }

  /** The loudest block in [oldest, nearest], and in [oldest, settled] (old enough to have surely echoed); blocks past the last sound are silence. */
  peaks(oldest: number, settled: number, nearest: number): { refPeak: number; settledPeak: number } {
    let refPeak = 0;
    let settledPeak = 0;
    // Between answers nothing is read.
    for (let b = oldest, last = Math.min(nearest, Math.floor(this.lastSoundSample / ECHO_BLOCK_SAMPLES)); b <= last; b++) {
      const e = this.blockEnergy(b);
      if (e > refPeak) refPeak = e;
      if (b <= settled && e > settledPeak) settledPeak = e;
    }
    return { refPeak, settledPeak };
  }

  /** Releases the buffers' contents (the object stays usable, empty). */
  clear(): void {
    this.ring.fill(0);
    this.energies.fill(0);
    this.resampler = null;
  }

  private write(samples: Float32Array): void {
    const n = this.ring.length;
    for (let k = 0; k < samples.length; ) {
      // Contiguous spans of the ring (it wraps at most once per span).
      const offset = (this.cursor + k) % n;
      const run = Math.min(samples.length - k, n - offset);
      for (let j = 0; j < run; j++) {
        const v = Math.round(samples[k + j] * 32768);
        const clamped = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        this.ring[offset + j] = clamped;
        if (clamped !== 0) this.lastSound = this.cursor + k + j;
      }
      k += run;
    }
    this.cursor += samples.length;
    this.written += samples.length;
    if (samples.length > 0) this.cutSinceWrite = false;
    this.finishEnergies();
  }

  /** Silence up to `at` (a stall at the client). */
  private advanceTo(at: number): void {
    this.runCount++;
    this.runGap = { start: this.cursor, samples: at - this.cursor, lastSoundBefore: this.lastSound, afterCut: this.cutSinceWrite };
    const n = this.ring.length;
    const from = Math.max(this.cursor, at - n);
    for (let i = from; i < at; i++) this.ring[i % n] = 0;
    this.cursor = at;
    this.finishEnergies();
  }

  /** Energies of the blocks that are complete in the ring. */
  private finishEnergies(): void {
    const lastComplete = Math.floor(this.cursor / ECHO_BLOCK_SAMPLES);
    const oldest = this.cursor - this.ring.length;
    const n = this.ring.length;
    for (let block = Math.max(this.energyDone, lastComplete - this.energies.length); block < lastComplete; block++) {
      let sum = 0;
      // Samples already gone from the ring were the silence of a long stall (energies are computed on every write).
      if (block * ECHO_BLOCK_SAMPLES < oldest) {
        this.energies[block % this.energies.length] = 0;
        continue;
      }
      // block >= 0 here; its samples lie in one span of the ring unless it wraps there.
      const first = (block * ECHO_BLOCK_SAMPLES) % n;
      for (let i = 0; i < ECHO_BLOCK_SAMPLES; i++) {
        const v = this.ring[first + i < n ? first + i : first + i - n];
        sum += v * v;
      }
      this.energies[block % this.energies.length] = sum / ECHO_BLOCK_SAMPLES;
    }
    this.energyDone = Math.max(this.energyDone, lastComplete);
  }
}

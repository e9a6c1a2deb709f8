// An upper bound on the echo, from the microphone alone, with no delay estimate and no
// converged filter: the quiet microphone of a headset client, or of a loudspeaker that is turned
// down, shows it as soon as the assistant's speech has been heard at every delay in range.
//
// If the echo carries reference block b - d into the frame heard while block b plays, with energy
// gain g, then mic(t) >= g * ref(t - d) at every frame t. Over a window of frames, the frame where
// ref(t - d) is largest gives g <= maxMic / max_t ref(t - d) =: g(d), for each delay d in range.
// The true delay's g(d) bounds the true gain, so the echo in a frame is at most
// max_d g(d) * ref(b - d): whatever the delay is, that term is among them. A window says nothing
// about a delay at which the reference was quiet throughout it. User speech in a window only
// loosens that window's bounds, never makes them wrong, so every window's bound holds and the
// tightest of the last few seconds' is kept per delay (a louder loudspeaker shows within those
// few seconds).
import type { EchoReference } from './reference.js';

/** Frames (10 ms) one window looks back over. */
const WINDOW_FRAMES = 70;
/** A window's bounds are computed every this many frames. */
const EVERY_FRAMES = 10;
/** Reference energy (mean square, int16 units) that counts as speech (~ -50 dBFS). */
const LOUD_REFERENCE = 1000;
/** Window bounds kept: the tightest of the last 5 s is the bound. */
const KEPT = 50;
/**
 * Added to the bound: reverberation spreads the echo over several delays, and the bound counts
 * the loudest single one (on the simulated rooms the echo came within 0.8 dB of the bound with this: 5.3 dB over it without).
 */
const SAFETY = 10 ** (6 / 10);
/**
 * The bound falling this far (dB) under its highest of the last MOVE_UPDATES updates, all of
 * them while the path was heard within one run of the assistant's speech, means the echo moved
 * (see push). Over a steady path the bound only settles: on the simulated rooms it fell at most
 * 1.7 dB in any second after the first two; after a 300 ms underrun it fell 7.7-19.8 dB.
 */
const MOVE_DROP_DB = 6;
const MOVE_UPDATES = 10;
/** Updates (2 s) after the bound is known before a fall means anything. */
const SETTLE_UPDATES = 20;

/** A worst-case echo at most this loud (-50 dBFS, mean square int16) is faint enough for the gate's margins where no echo path is heard. */
const FAINT_ECHO = 32768 ** 2 * 10 ** (-50 / 10);

/**
 * The loudest echo the path bound (`boundDb`) allows under a frame's reference peak, where that
 * is a worst case and faint; Infinity elsewhere. The bound times the loudest reference at any
 * delay in range is the loudest echo there can be, but only while no delay is locked does the
 * peak span every delay: once locked it spans the filter, and an echo that jumped past it (a long
 * underrun) started turns in the gate-only mode (bench:echo). Only where the microphone hears no
 * echo path (elsewhere the leak's estimate, learnt from the echo itself, is the sharper one
 * anyway): `unlockedNoPath` is both. And only when that loudest echo is faint: an echo pushed
 * past the bound's delays by a long underrun is not bounded by it, and a quiet loudspeaker's
 * (-50 dBFS, 15 dB over the floor) then started more turns, bridged (mayBridge).
 */
export function faintBoundEcho(refPeak: number, boundDb: number | null, unlockedNoPath: boolean): number {
  if (boundDb === null || !unlockedNoPath) return Number.POSITIVE_INFINITY;
  const echo = refPeak * 10 ** (boundDb / 10);
  return echo <= FAINT_ECHO ? echo : Number.POSITIVE_INFINITY;
}

export class EchoPathBound {
  private readonly micEnergy = new Float64Array(WINDOW_FRAMES);
  private readonly refBlock = new Float64Array(WINDOW_FRAMES);
  private frames = 0;
  private updates = 0;
  private scratch = new Float64Array(256);
  private readonly scratchLoudest: LoudestScratch;
  /** Per window kept (rows) and delay (columns): g(d), Infinity where the window says nothing. */
  private readonly gains: Float64Array;
  /** Per delay, the tightest kept g(d). */
  private readonly tightest: Float64Array;
  /** Per window kept: whether it bounds any delay (false: its row is all Infinity). */
  private readonly rowBounds = new Uint8Array(KEPT);
  /** boundDb, as of the last window. */
  private boundDbCached: number | null = null;
  /** boundDb of the last updates in a row made while the path was steady (push's `steady`), oldest first. */
  private readonly steadyBounds: number[] = [];
  private steadySinceUpdate = true;
  /** Updates in a row with the bound known. */
  private knownUpdates = 0;

  constructor(
    private readonly reference: EchoReference,
    /** Delays of the direct path looked at: 0 .. maxDelayBlocks (the room's tail after it is in the safety margin). */
    private readonly maxDelayBlocks: number,
  ) {
    this.gains = new Float64Array(KEPT * (maxDelayBlocks + 1)).fill(Number.POSITIVE_INFINITY);
    this.scratchLoudest = { seen: new Uint8Array(128), queue: new Int32Array(maxDelayBlocks + WINDOW_FRAMES + 2), out: new Float64Array(maxDelayBlocks + 1) };
    this.tightest = new Float64Array(maxDelayBlocks + 1).fill(Number.POSITIVE_INFINITY);
  }

  /** The echo path's energy gain is at most this (dB, with the safety margin); null while some delay is still unknown. */
  get boundDb(): number | null {
    return this.boundDbCached;
  }

  /** The loudest echo (mean square, int16 units) a frame heard while reference block `block` plays can hold; Infinity when unknown. */
  echoEnergyBound(block: number): number {
    let bound = 0;
    for (let d = 0; d <= this.maxDelayBlocks; d++) {
      const e = this.reference.blockEnergy(block - d);
      if (e > 0) bound = Math.max(bound, this.tightest[d]! * e);
    }
    return bound * SAFETY;
  }

  /**
   * The loudest echo (mean square, int16 units) any of reference blocks [first, last] can return
   * at whatever delay (the path's gain at its loudest delay, `boundDb`); Infinity while unknown.
   * For audio that may come at a delay other than placed (a stall's silence the client played
   * through in part: canceller.ts), where echoEnergyBound's per-delay gains bound nothing.
   */
  anyDelayEchoBound(first: number, last: number): number {
    if (this.boundDbCached === null) return Number.POSITIVE_INFINITY;
    let loudest = 0;
    for (let b = first; b <= last; b++) loudest = Math.max(loudest, this.reference.blockEnergy(b));
    return loudest * 10 ** (this.boundDbCached / 10);
  }

  /**
   * The echo path changed (its delay jumped: the client ran dry and plays the rest later). Every
   * window so far was heard through the old path, and its bound at the new delay can be far too
   * tight (no echo came from there then), so all of them are dropped: the bound is unknown (no
   * onset passes on it) until the new path has been heard at every delay again.
   */
  forget(): void {
    this.frames = 0;
    this.gains.fill(Number.POSITIVE_INFINITY);
    this.tightest.fill(Number.POSITIVE_INFINITY);
    this.rowBounds.fill(0);
    this.boundDbCached = null;
    this.steadyBounds.length = 0;
    this.knownUpdates = 0;
  }

  /**
   * One 10 ms microphone frame, heard while reference block `block` was playing (undelayed).
   * `steady`: the echo path was heard, within one run of the assistant's speech, up to this
   * frame (a bound that falls then is a moved echo; one that falls as a new answer tightens it
   * again after a pause, or a headset's, is not watched).
   *
   * Returns whether the echo moved: the bound fell MOVE_DROP_DB within a second of steady
   * playback, and every window so far is forgotten (forget()). After a jump in the echo's delay (a
   * client underrun) the windows heard since say that no echo comes from the old delay, and those
   * kept from before, that none comes from the new one: the tightest of both says no echo comes at
   * all. A loud echo shows the jump to the filter first (FilterTrust's distrust forgets the bound);
   * a quiet loudspeaker's (-58 to -46 dBFS over a -65 dBFS floor) gives the filter no evidence, and
   * the bound fell 10-20 dB in a second: the microphone was then judged to hear no echo path
   * (echo-audibility.ts), the filter and the envelope model stopped, and the moved echo started
   * turns for the rest of the answer.
   */
  push(micEnergy: number, block: number, steady: boolean): boolean {
    const i = this.frames % WINDOW_FRAMES;
    this.micEnergy[i] = micEnergy;
    this.refBlock[i] = block;
    this.frames++;
    if (!steady) this.steadySinceUpdate = false;
    // A window may be shorter at the start: the bound is there as soon as every delay has heard speech.
    if (this.frames % EVERY_FRAMES !== 0) return false;
    this.update();
    return this.watchForMove();
  }

  /** After an update: whether the bound fell as only a moved echo makes it (see push); then it forgets. */
  private watchForMove(): boolean {
    const bound = this.boundDbCached;
    const steady = this.steadySinceUpdate;
    this.steadySinceUpdate = true;
    this.knownUpdates = bound === null ? 0 : this.knownUpdates + 1;
    if (!steady || bound === null) {
      this.steadyBounds.length = 0;
      return false;
    }
    // The bound's first seconds are it settling (it fell 17 dB in the second after it was known).
    if (this.knownUpdates > SETTLE_UPDATES && this.steadyBounds.length === MOVE_UPDATES && bound < Math.max(...this.steadyBounds) - MOVE_DROP_DB) {
      this.forget();
      return true;
    }
    this.steadyBounds.push(bound);
    if (this.steadyBounds.length > MOVE_UPDATES) this.steadyBounds.shift();
    return false;
  }

  /** Reference block energies [base, base + count), in a buffer reused between updates. */
  private energiesFrom(base: number, count: number): Float64Array {
    if (this.scratch.length < count) this.scratch = new Float64Array(count * 2);
    for (let k = 0; k < count; k++) this.scratch[k] = this.reference.blockEnergy(base + k);
    return this.scratch;
  }

  private update(): void {
    const frames = Math.min(this.frames, WINDOW_FRAMES);
    const delays = this.maxDelayBlocks + 1;
    const slot = this.updates++ % KEPT;
    // The reference energies every delay reads, fetched once.
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < frames; i++) {
      lowest = Math.min(lowest, this.refBlock[i]!);
      highest = Math.max(highest, this.refBlock[i]!);
    }
    const base = lowest - this.maxDelayBlocks;
    const energies = this.energiesFrom(base, highest - base + 1);
    let anyLoud = false;
    for (let k = 0; k <= highest - base && !anyLoud; k++) anyLoud = energies[k]! >= LOUD_REFERENCE;
    if (!anyLoud) {
      // No speech played anywhere this window can hear (most of a session's time: the user
      // speaking, or nobody): the window bounds nothing. If the one it replaces bounded nothing
      // either, no delay's tightest bound changes.
      const replaced = this.rowBounds[slot] === 1;
      this.rowBounds[slot] = 0;
      if (!replaced) return;
      for (let d = 0; d < delays; d++) this.setGain(slot, d, Number.POSITIVE_INFINITY);
      this.updateBound();
      return;
    }
    this.rowBounds[slot] = 1;
    let maxMic = 0;
    for (let i = 0; i < frames; i++) maxMic = Math.max(maxMic, this.micEnergy[i]!);
    const loudestAt = loudestPerDelay(this.refBlock, frames, energies, base, this.maxDelayBlocks, this.scratchLoudest);
    for (let d = 0; d < delays; d++) {
      const loudest = loudestAt[d]!;
      this.setGain(slot, d, loudest < LOUD_REFERENCE ? Number.POSITIVE_INFINITY : (maxMic + 1) / loudest);
    }
    this.updateBound();
  }

  /** Window `slot`'s g(d) becomes `gain`; the tightest kept g(d) follows (a scan of the kept windows only when the tightest one was replaced by a looser). */
  private setGain(slot: number, d: number, gain: number): void {
    const delays = this.maxDelayBlocks + 1;
    const old = this.gains[slot * delays + d]!;
    this.gains[slot * delays + d] = gain;
    if (gain <= this.tightest[d]!) {
      this.tightest[d] = gain;
    } else if (old === this.tightest[d]) {
      let min = Number.POSITIVE_INFINITY;
      for (let w = 0; w < KEPT; w++) min = Math.min(min, this.gains[w * delays + d]!);
      this.tightest[d] = min;
    }
  }

  private updateBound(): void {
    let loosest = 0;
    for (let d = 0; d <= this.maxDelayBlocks; d++) loosest = Math.max(loosest, this.tightest[d]!);
    this.boundDbCached = Number.isFinite(loosest) ? 10 * Math.log10(loosest * SAFETY) : null;
  }
}

export interface LoudestScratch {
  seen: Uint8Array;
  queue: Int32Array;
  /** maxDelayBlocks + 1 entries: the result. */
  out: Float64Array;
}

/**
 * Per delay d = 0 .. maxDelayBlocks: the loudest reference block a window's frames heard at that
 * delay, max over i < frames of energies[blocks[i] - d - base], where energies[k] is block
 * base + k's and base = min(blocks) - maxDelayBlocks. The blocks are nearly always every block
 * from the lowest to the highest (one per frame; drift or a new run may skip one): then each
 * delay's max is one window of a sliding maximum over the energies, a monotonic queue in
 * O(blocks + delays) instead of O(blocks x delays). Otherwise the plain loops.
 */
export function loudestPerDelay(blocks: Float64Array, frames: number, energies: Float64Array, base: number, maxDelayBlocks: number, scratch: LoudestScratch): Float64Array {
  const lowest = base + maxDelayBlocks;
  let highest = lowest;
  for (let i = 0; i < frames; i++) highest = Math.max(highest, blocks[i]!);
  const width = highest - lowest + 1;
  if (scratch.seen.length < width) scratch.seen = new Uint8Array(width * 2);
  const seen = scratch.seen;
  seen.fill(0, 0, width);
  let distinct = 0;
  for (let i = 0; i < frames; i++) {
    const k = blocks[i]! - lowest;
    if (seen[k] === 0) distinct++;
    seen[k] = 1;
  }
  const out = scratch.out;
  if (distinct !== width) {
    for (let d = 0; d <= maxDelayBlocks; d++) {
      let loudest = 0;
      const shift = base + d;
      for (let i = 0; i < frames; i++) loudest = Math.max(loudest, energies[blocks[i]! - shift]!);
      out[d] = loudest;
    }
    return out;
  }
  // Delay d reads energies[s .. s + width - 1], s = maxDelayBlocks - d: the windows s = 0 .. maxDelayBlocks.
  if (scratch.queue.length < maxDelayBlocks + width) scratch.queue = new Int32Array((maxDelayBlocks + width) * 2);
  const queue = scratch.queue;
  let head = 0;
  let tail = 0;
  for (let k = 0; k < maxDelayBlocks + width; k++) {
    while (tail > head && energies[queue[tail - 1]!]! <= energies[k]!) tail--;
    queue[tail++] = k;
    const s = k - width + 1;
    if (s < 0) continue;
    if (queue[head]! < s) head++;
    out[maxDelayBlocks - s] = Math.max(0, energies[queue[head]!]!);
  }
  return out;
}

// The adaptive filter run again on microphone frames it heard before, against the reference read
// where their echo really came from: FilterTrust's replays after the echo was found elsewhere
// (echo-realign.ts, stall-watch.ts), and the frames kept before the echo's delay was first found
// (lock-history.ts), after which the leak learns from what the filter leaves in them.
import type { EchoLeak } from './echo-leak.js';
import type { LockHistory } from './lock-history.js';
import type { EchoReference } from './reference.js';
import { ECHO_BLOCK_SAMPLES } from './reference.js';
import type { SpeexEchoCanceller } from './speex.js';

const FRAME = ECHO_BLOCK_SAMPLES;

/** What the leak learns from, after the first lock (see hearBeforeLock). */
export interface LeakLearning {
  leak: EchoLeak;
  /** The filter's span and the margin before the echo's delay, in 10 ms blocks: a frame teaches only once reference old enough to have surely echoed is in it. */
  spanBlocks: number;
  marginBlocks: number;
  /** Reference energy below which it is silence, and the gate's onset margin (dB) the leak learns within. */
  activeEnergy: number;
  onsetMarginDb: number;
}

export class FilterRehearing {
  private readonly play = new Int16Array(FRAME);
  /** The filter's linear output for the frame last heard again (reused by the next). */
  readonly output = new Int16Array(FRAME);

  constructor(
    private readonly reference: EchoReference,
    private readonly speex: SpeexEchoCanceller,
    private readonly learning: LeakLearning,
  ) {}

  /**
   * The filter on `frame`, the reference read from `readFrom`: its linear output's energy. The
   * reference before `silentBefore` is read as silence: the client played none there (an
   * underrun's gap: EchoRealigner.replay).
   */
  hear(frame: Int16Array, readFrom: number, silentBefore = Number.NEGATIVE_INFINITY): number {
    this.reference.readAt(readFrom, this.play);
    if (silentBefore > readFrom) this.play.fill(0, 0, Math.min(FRAME, Math.ceil(silentBefore - readFrom)));
    return this.speex.cancel(frame, this.play, this.output);
  }

  /**
   * The filter, just moved to the delay first found (the filter starting `startSamples` before the
   * frame), hears the frames kept before it again there, and the leak learns from what it leaves,
   * as it would have live had the filter been there all along (left to learn after the move, the
   * leak stood at the room's bound while the user spoke: nothing to learn it from).
   */
  hearBeforeLock(history: LockHistory, startSamples: number): void {
    const { leak, spanBlocks, marginBlocks, activeEnergy, onsetMarginDb } = this.learning;
    history.replay(startSamples, (frame, readFrom) => {
      // Read before the reference still held, the filter would hear echo of zeros.
      if (readFrom < this.reference.oldestHeld) return;
      const outEnergy = this.hear(frame, readFrom);
      const nearest = Math.floor(readFrom / FRAME);
      const { refPeak, settledPeak } = this.reference.peaks(nearest - spanBlocks, nearest - marginBlocks, nearest);
      if (refPeak > activeEnergy && settledPeak > activeEnergy) leak.learn(outEnergy, refPeak, onsetMarginDb);
    });
  }
}

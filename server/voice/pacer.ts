import { systemClock, type PacerClock } from './clock.js';

// Sends a response's audio frames at most `leadMs` ahead of the listener, not the
// whole answer at once: what the client has buffered but not played is what an
// interrupt leaves behind as stale audio.
//
// The listener model: the client starts playing a frame when it arrives and plays
// in real time; when it runs dry (synthesis slower than real time) playback
// stalls and resumes with the next frame. `playedMs` is that model's position,
// `sentMs - playedMs` the audio buffered at the client. A frame is sent when the
// buffer plus the frame stays within `leadMs` (or the buffer is empty, for
// frames longer than the lead).
//
// pause() stops sending (the frames already sent still play out at the client);
// resume() continues with the next unsent frame. cancel() drops everything
// pending, cancels the source (its synthesis) and returns the stale audio; no
// frame is sent after it returns.

/** Durations are fractional ms; a remainder below this is rounding, not a wait (a 1e-13 ms sleep would not move a clock at 2900 ms). */
const EPSILON_MS = 1e-3;

export interface PacedFrame {
  durationMs: number;
}

export interface PacerOptions<F extends PacedFrame> {
  /** Most audio sent ahead of the listener, ms (config `voice.leadMs`). */
  leadMs: number;
  /** Hands a frame to the transport (synchronously). */
  send: (frame: F) => void;
  clock?: PacerClock;
  /** Called by cancel(), e.g. `() => track.cancel()`. */
  onCancel?: () => void;
}

export interface CancelReport {
  /** Audio sent but not yet played when the pacer was cancelled. */
  staleMs: number;
  sentMs: number;
  playedMs: number;
}

export type PacerState = 'idle' | 'waiting-source' | 'waiting-clock' | 'paused' | 'done' | 'cancelled';

export class AudioPacer<F extends PacedFrame> {
  private readonly source: AsyncIterable<F>;
  private readonly options: PacerOptions<F>;
  private readonly clock: PacerClock;
  private readonly stop = new AbortController();
  private sent = 0;
  private played = 0;
  private lastTick: number | null = null;
  private pausedFlag = false;
  private wakeResume: (() => void) | null = null;
  private current: PacerState = 'idle';
  private leadMs: number;

  constructor(source: AsyncIterable<F>, options: PacerOptions<F>) {
    this.source = source;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.leadMs = options.leadMs;
  }

  /** Sends every frame of the source, paced. Resolves 'completed' or 'cancelled'; rejects if the source fails. */
  async run(): Promise<'completed' | 'cancelled'> {
    const frames = this.source[Symbol.asyncIterator]();
    try {
      for (;;) {
        this.current = 'waiting-source';
        const next = await frames.next();
        if (this.cancelledFlag) return 'cancelled';
        if (next.done) break;
        const frame = next.value;
        for (;;) {
          if (this.cancelledFlag) return 'cancelled';
          if (this.pausedFlag) {
            this.current = 'paused';
            await new Promise<void>((resolve) => (this.wakeResume = resolve));
            this.wakeResume = null;
            continue;
          }
          this.tick();
          const buffered = this.sent - this.played;
          const wait = buffered + frame.durationMs - this.leadMs;
          if (wait <= EPSILON_MS || buffered <= EPSILON_MS) break;
          this.current = 'waiting-clock';
          await this.clock.sleep(Math.min(wait, buffered), this.stop.signal);
        }
        this.tick();
        this.options.send(frame);
        this.sent += frame.durationMs;
      }
      this.current = 'done';
      return 'completed';
    } finally {
      if (this.cancelledFlag) {
        this.current = 'cancelled';
        void frames.return?.()?.catch(() => {});
      }
    }
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    this.pausedFlag = false;
    this.wakeResume?.();
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  /**
   * Sends at most `ms` ahead from the next frame on (null: back to options.leadMs). A lower lead
   * lets what is buffered play down first; a higher one refills from the next wake-up (a wait
   * never outlasts the buffered audio, so the listener does not run dry meanwhile).
   */
  setLead(ms: number | null): void {
    this.leadMs = ms === null ? this.options.leadMs : Math.min(ms, this.options.leadMs);
  }

  /** Drops pending frames, cancels the source; nothing is sent after this returns. */
  cancel(): CancelReport {
    if (!this.cancelledFlag) {
      this.tick();
      this.stop.abort();
      this.options.onCancel?.();
      this.wakeResume?.();
    }
    return { staleMs: this.sent - this.played, sentMs: this.sent, playedMs: this.played };
  }

  /** Audio sent so far, ms. */
  get sentMs(): number {
    return this.sent;
  }

  /** The listener's position (see the model above), ms. After cancel() it stays where cancel() found it. */
  get playedMs(): number {
    if (!this.cancelledFlag) this.tick();
    return this.played;
  }

  get state(): PacerState {
    return this.cancelledFlag ? 'cancelled' : this.current;
  }

  private get cancelledFlag(): boolean {
    return this.stop.signal.aborted;
  }

  /** Advances the listener model to the clock's now. */
  private tick(): void {
    const now = this.clock.now();
    if (this.lastTick !== null) this.played = Math.min(this.sent, this.played + (now - this.lastTick));
    this.lastTick = now;
  }
}

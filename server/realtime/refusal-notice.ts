// Messages refused for rate (events, bytes or queue depth past the session's limits) are told to
// the client at most once per window: the first refusal at once, the rest counted and told in
// one error when the window ends. One error per refused message answered a flood with another:
// a hostile client sending 200 `input_audio_buffer.clear` per event-loop turn for 2 s drew
// 150-193 thousand `rate_limited` errors, each a write the server paid for while the client was
// the one misbehaving.

/** How often, at most, refusals are told (ms). */
export const REFUSAL_NOTICE_WINDOW_MS = 1000;

export interface RefusalNoticeOptions {
  /** Sends one `rate_limited` error with this message. */
  send: (message: string) => void;
  windowMs?: number;
}

export class RefusalNotice {
  private readonly send: (message: string) => void;
  private readonly windowMs: number;
  /** Refusals not told yet (all in the current window). */
  private untold = 0;
  /** Why the latest untold refusal was refused. */
  private lastReason = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(o: RefusalNoticeOptions) {
    this.send = o.send;
    this.windowMs = o.windowMs ?? REFUSAL_NOTICE_WINDOW_MS;
  }

  /** Refusals counted in this window and not yet told. */
  get pending(): number {
    return this.untold;
  }

  /** One message refused, and why (the sentence an error would carry on its own). */
  refuse(reason: string): void {
    if (this.timer === null) {
      // Outside a window: told at once, and a window opens.
      this.send(reason);
      this.openWindow();
      return;
    }
    this.untold += 1;
    this.lastReason = reason;
  }

  /** The session closed: nothing more is told, no timer left behind. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.untold = 0;
  }

  private openWindow(): void {
    this.timer = setTimeout(() => this.windowEnded(), this.windowMs);
    // A window left open must not keep the process alive on its own.
    this.timer.unref();
  }

  private windowEnded(): void {
    this.timer = null;
    if (this.untold === 0) return;
    const count = this.untold;
    this.untold = 0;
    this.send(`${count} more message${count === 1 ? '' : 's'} dropped in the last ${this.windowMs} ms; the latest: ${this.lastReason}`);
    // Still flooding: the next window's refusals are counted too, told at its end.
    this.openWindow();
  }
}

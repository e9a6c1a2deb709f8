// Monitor before generator. While a monitor decision is being computed, generators sharing the
// session hold their next decode step: the decision (which may stop them) never queues behind
// their token loop, only behind the one run already in flight.

export class PriorityGate {
  private active = 0;
  private idle: Promise<void> | null = null;
  private open: (() => void) | null = null;

  /** Called synchronously when a priority job starts; returns its release. */
  enter(): () => void {
    if (this.active++ === 0) this.idle = new Promise((resolve) => (this.open = resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.active === 0) {
        this.open!();
        this.idle = this.open = null;
      }
    };
  }

  /** null when no priority job runs (no await, no allocation on the hot path). */
  pending(): Promise<void> | null {
    return this.idle;
  }
}

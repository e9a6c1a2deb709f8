// Time for the pacer, injectable so tests and the benchmark run on simulated time.

export interface PacerClock {
  /** ms, monotonic. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
    }),
};

interface Sleeper {
  at: number;
  resolve: () => void;
}

/** Simulated time: nothing happens until advance() moves it on. */
export class ManualClock implements PacerClock {
  private time = 0;
  private sleepers: Sleeper[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve();
      };
      const sleeper: Sleeper = {
        at: this.time + Math.max(0, ms),
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Whether some sleep is pending. */
  get sleeping(): boolean {
    return this.sleepers.length > 0;
  }

  /**
   * Moves time on by `ms`, waking sleepers in deadline order at their deadline, and
   * letting the woken code run (pending promise jobs and I/O callbacks) before
   * time moves on.
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle(); // code started before the call reaches its sleep first
    for (let stuck = 0; ; ) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      stuck = next.at > this.time ? 0 : stuck + 1;
      // Code that sleeps for less than the clock can resolve never gets anywhere.
      if (stuck > 10_000) throw new Error(`ManualClock: 10000 wake-ups without time moving at ${this.time} ms`);
      this.time = Math.max(this.time, next.at);
      next.resolve();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

/** Lets queued promise jobs and immediates run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

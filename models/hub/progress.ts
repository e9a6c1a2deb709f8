// A one-line progress bar on a TTY; a line per 10% elsewhere (logs, CI).

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private lastDecile = -1;
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly out: ProgressSink,
    private label = '',
  ) {}

  setLabel(label: string): void {
    this.label = label;
  }

  add(bytes: number): void {
    this.done += bytes;
    const now = performance.now();
    if (this.out.isTTY) {
      if (now - this.lastDraw > 100 || this.done >= this.total) {
        this.lastDraw = now;
        this.out.write(`\r${this.line(now)}\x1b[K`);
      }
    } else {
      const decile = this.total > 0 ? Math.floor((10 * this.done) / this.total) : 10;
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        this.out.write(`${this.line(now)}\n`);
      }
    }
  }

  finish(): void {
    if (this.out.isTTY) this.out.write(`\r${this.line(performance.now())}\x1b[K\n`);
  }

  line(now: number): string {
    const ratio = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const seconds = Math.max(1e-3, (now - this.started) / 1000);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${mb(this.done)}/${mb(this.total)} MB ${mb(this.done / seconds)} MB/s ${this.label}`;
  }
}

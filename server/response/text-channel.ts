import type { DeltaSink, OutputChannel } from './output-channel.js';

/** Text modality: deltas go out as they come, or are held while paused. */
export class TextChannel implements OutputChannel {
  private held: string[] = [];
  private sent = '';
  private ended = false;
  private cancelled = false;
  private isPaused = false;
  private drained: (() => void) | null = null;
  firstEmitAtMs: number | null = null;

  constructor(
    private readonly sink: DeltaSink,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  get paused(): boolean {
    return this.isPaused;
  }

  write(text: string): void {
    if (this.cancelled || text.length === 0) return;
    if (this.isPaused) this.held.push(text);
    else this.emit(text);
  }

  private emit(text: string): void {
    if (this.firstEmitAtMs === null) this.firstEmitAtMs = this.now();
    this.sent += text;
    this.sink.textDelta(text);
  }

  end(): Promise<void> {
    this.ended = true;
    if (this.cancelled || (!this.isPaused && this.held.length === 0)) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  pause(): void {
    if (!this.cancelled) this.isPaused = true;
  }

  resume(): void {
    if (this.cancelled || !this.isPaused) return;
    this.isPaused = false;
    const held = this.held;
    this.held = [];
    for (const text of held) this.emit(text);
    if (this.ended) this.settle();
  }

  cancel(): { staleAudioMs: number } {
    this.cancelled = true;
    this.held = [];
    this.settle();
    return { staleAudioMs: 0 };
  }

  private settle(): void {
    const done = this.drained;
    this.drained = null;
    done?.();
  }

  sentText(): string {
    return this.sent;
  }
}

/**
 * The bot hearing itself: a segment whose transcript is mostly words the assistant said in
 * the last few seconds is treated as noise, whatever the monitor would say.
 */
export class EchoGuard {
  private recent: { words: Set<string>; atMs: number }[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly similarity: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records text the assistant just said (sent to the client). */
  record(text: string): void {
    if (this.windowMs === 0 || text.trim() === '') return;
    this.recent.push({ words: new Set(words(text)), atMs: this.now() });
    this.prune();
  }

  /** Does `transcript` echo what the assistant said recently (or is saying: `speaking`)? */
  matches(transcript: string, speaking?: string): boolean {
    if (this.windowMs === 0) return false;
    this.prune();
    const heard = words(transcript);
    if (heard.length < 2) return false;
    const said = new Set<string>(speaking ? words(speaking) : []);
    for (const r of this.recent) for (const w of r.words) said.add(w);
    if (said.size === 0) return false;
    const overlap = heard.filter((w) => said.has(w)).length;
    return overlap / heard.length >= this.similarity;
  }

  private prune(): void {
    const cutoff = this.now() - this.windowMs;
    this.recent = this.recent.filter((r) => r.atMs >= cutoff);
  }
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}

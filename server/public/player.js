// Answer playback for the page: PCM16 24 kHz chunks scheduled gap-free, with the ms played per item.
const OUTPUT_RATE = 24000;
/** Gain changes ramp over this long (s): a step would click. */
const RAMP_S = 0.01;

/**
 * Schedules answer audio (PCM16 24 kHz) gap-free on its own AudioContext and knows, per item,
 * how many ms were actually played. Its own context so that a pause can freeze playback
 * exactly where it is (suspend) without stopping the microphone.
 */
export class Player {
  constructor() {
    this.ctx = null;
    this.sources = new Set();
    this.nextTime = 0;
    this.items = new Map(); // item id -> { receivedMs, playedMs (of finished chunks) }
    this.held = false;
    this.out = null; // GainNode every chunk plays through (a duck lowers it)
    this.onIdle = () => {};
  }

  /** The node chunks connect to, made for the current context. */
  output() {
    if (this.out?.context !== this.ctx) {
      this.out = this.ctx.createGain();
      this.out.connect(this.ctx.destination);
    }
    return this.out;
  }

  get playing() {
    return this.sources.size > 0;
  }

  enqueue(itemId, base64) {
    if (!this.ctx) return;
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const pcm = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
    if (pcm.length === 0) return;
    const buffer = this.ctx.createBuffer(1, pcm.length, OUTPUT_RATE);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
    const item = this.items.get(itemId) ?? { receivedMs: 0, playedMs: 0 };
    this.items.set(itemId, item);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.output());
    // A little slack after a gap absorbs network jitter; back-to-back chunks stay seamless.
    const startAt = Math.max(this.nextTime, this.ctx.currentTime + 0.05);
    const chunk = { itemId, startAt, durationMs: buffer.duration * 1000, offsetMs: item.receivedMs };
    item.receivedMs += chunk.durationMs;
    source.chunk = chunk;
    source.onended = () => {
      if (!this.sources.delete(source)) return; // stopped by clear()
      item.playedMs = Math.max(item.playedMs, chunk.offsetMs + chunk.durationMs);
      if (!this.playing) this.onIdle();
    };
    source.start(startAt);
    this.nextTime = startAt + buffer.duration;
    this.sources.add(source);
  }

  /** ms of this item's audio that reached the speakers so far. */
  playedMs(itemId) {
    const item = this.items.get(itemId);
    if (!item) return 0;
    const now = this.ctx.currentTime - (this.held ? 0 : this.ctx.outputLatency || 0);
    let played = item.playedMs;
    for (const s of this.sources) {
      const c = s.chunk;
      if (c.itemId === itemId && now > c.startAt) played = Math.max(played, c.offsetMs + Math.min((now - c.startAt) * 1000, c.durationMs));
    }
    return Math.round(played);
  }

  hasAudio(itemId) {
    return this.items.has(itemId);
  }

  /** Freezes playback where it is (the server paused the answer while it listens). */
  hold() {
    if (!this.ctx || this.held) return;
    this.held = true;
    this.ctx.suspend();
  }

  /** Plays on from exactly where hold() stopped. */
  release() {
    if (!this.ctx || !this.held) return;
    this.held = false;
    this.ctx.resume();
  }

  /**
   * The server lowered the answer (duet.response.ducked) in what it sends from now on. What is
   * already buffered was sent at full level: it plays lowered here, until the lowered audio takes over.
   */
  duck(gainDb) {
    if (!this.ctx) return;
    const gain = this.output().gain;
    const now = this.ctx.currentTime;
    const low = 10 ** (gainDb / 20);
    gain.cancelScheduledValues(now);
    gain.setValueAtTime(gain.value, now);
    gain.linearRampToValueAtTime(low, now + RAMP_S);
    const end = Math.max(this.nextTime, now + RAMP_S);
    gain.setValueAtTime(low, end);
    gain.linearRampToValueAtTime(1, end + RAMP_S);
  }

  /** Full level again at once (duet.response.resumed, or the answer was cleared). */
  unduck() {
    if (!this.out || !this.ctx) return;
    const gain = this.out.gain;
    const now = this.ctx.currentTime;
    gain.cancelScheduledValues(now);
    gain.setValueAtTime(gain.value, now);
    gain.linearRampToValueAtTime(1, now + RAMP_S);
  }

  /** The output gain now (1: full level). */
  get gain() {
    return this.out ? this.out.gain.value : 1;
  }

  /** Stops everything at once and drops what is buffered; returns ms played of `itemId`. */
  clear(itemId) {
    const played = itemId && this.ctx ? this.playedMs(itemId) : 0;
    const sources = [...this.sources];
    this.sources.clear();
    for (const s of sources) {
      s.onended = null;
      s.stop();
      s.disconnect();
    }
    this.nextTime = 0;
    this.unduck();
    this.release();
    return played;
  }
}

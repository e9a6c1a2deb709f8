// The microphone of a client with a loudspeaker and no echo cancellation: what it plays (16 kHz)
// comes back through a simulated room (room.ts), with the user's voice (say()) and a little
// noise, in real time: every 20 ms the samples due are handed to `send`. The clients around it
// (loopback.ts for raw sockets, sdk-loudspeaker.ts for the Agents SDK) only adapt its two ends.
import { noise, RoomPath, type RoomParams } from './room.js';

const TICK_MS = 20;

export class LoudspeakerMicrophone {
  private readonly path: RoomPath;
  private playback: Float32Array[] = [];
  private user: Float32Array | null = null;
  private userAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private sentSamples = 0;
  private readonly hiss: Float32Array;
  /** 16 kHz samples received for playback. */
  receivedSamples = 0;
  /** performance.now() when say() audio began to enter the microphone. */
  userStartedAt: number | null = null;

  /** `clockPpm`: the client's one clock (playback and capture) runs that much fast against the server's. */
  constructor(room: RoomParams, echoGain: number, noiseDbfs = -65, seed?: number, private readonly clockPpm = 0) {
    this.path = new RoomPath(room, echoGain);
    this.hiss = noise(16000, noiseDbfs, seed);
  }

  /** Samples the client's clock has counted since start(). */
  private samplesNow(): number {
    return Math.floor(((performance.now() - this.startedAt) * 16 * (1 + this.clockPpm / 1e6)));
  }

  /** Queues answer audio (16 kHz) for the loudspeaker. */
  play(samples: Float32Array): void {
    // Run dry: this audio starts playing now, to the sample (the reference's listener model),
    // not at the next 20 ms tick.
    if (this.playback.length === 0 && this.timer) {
      const nowSample = this.samplesNow();
      if (nowSample > this.sentSamples) this.playback.push(new Float32Array(nowSample - this.sentSamples));
    }
    this.receivedSamples += samples.length;
    this.playback.push(samples);
  }

  /** Drops what is queued and not yet played (an interrupted answer). */
  clear(): void {
    this.playback = [];
  }

  /** Starts the microphone stream: `send` gets each chunk of 16 kHz microphone samples. */
  start(send: (mic: Float32Array) => void): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.tick(send), TICK_MS);
  }

  /** The user speaks (16 kHz samples) from the next tick on. */
  say(samples: Float32Array): void {
    this.user = samples;
    this.userAt = 0;
    this.userStartedAt = null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(send: (mic: Float32Array) => void): void {
    const due = this.samplesNow();
    const n = due - this.sentSamples;
    if (n <= 0) return;
    const mic = this.path.process(this.take(n));
    for (let i = 0; i < n; i++) mic[i]! += this.hiss[(this.sentSamples + i) % this.hiss.length]!;
    if (this.user) {
      this.userStartedAt ??= performance.now();
      const take = Math.min(n, this.user.length - this.userAt);
      for (let i = 0; i < take; i++) mic[i]! += this.user[this.userAt + i]!;
      this.userAt += take;
      if (this.userAt >= this.user.length) this.user = null;
    }
    this.sentSamples = due;
    send(mic);
  }

  private take(n: number): Float32Array {
    const out = new Float32Array(n);
    let filled = 0;
    while (filled < n && this.playback.length > 0) {
      const head = this.playback[0]!;
      const k = Math.min(head.length, n - filled);
      out.set(head.subarray(0, k), filled);
      filled += k;
      if (k === head.length) this.playback.shift();
      else this.playback[0] = head.subarray(k);
    }
    return out;
  }
}

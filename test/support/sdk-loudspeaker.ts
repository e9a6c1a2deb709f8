// An Agents SDK app on a loudspeaker with no echo cancellation: it plays the answer audio the
// SDK hands it (`audio` events, PCM16 24 kHz) in real time through a simulated room (room.ts)
// into its microphone, which also hears the user (say()) and a little noise, and sends the
// microphone to the SDK every 20 ms (session.sendAudio, PCM16 24 kHz, the SDK's default input).
// On `audio_interrupted` it stops playback, as the SDK's documentation asks of an app.
import type { RealtimeSession } from '@openai/agents-realtime';
import { StreamingResampler } from '../../server/audio/resample.js';
import { noise, RoomPath, type RoomParams } from './room.js';
import { toPcm16 } from './speech.js';

const TICK_MS = 20;

export class SdkLoudspeaker {
  private readonly path: RoomPath;
  private readonly down = new StreamingResampler(24000, 16000);
  private readonly up = new StreamingResampler(16000, 24000);
  private playback: Float32Array[] = [];
  private user: Float32Array | null = null;
  private userAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private sent = 0;
  private readonly hiss: Float32Array;
  /** performance.now() when say() audio began to enter the microphone. */
  userStartedAt: number | null = null;

  constructor(private readonly session: RealtimeSession, room: RoomParams, echoGain: number) {
    this.path = new RoomPath(room, echoGain);
    this.hiss = noise(16000, -65, 13);
    session.on('audio', (event: { data: ArrayBuffer }) => {
      const pcm = new Int16Array(event.data);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i]! / 32768;
      this.playback.push(this.down.process(samples));
    });
    session.on('audio_interrupted', () => {
      this.playback = [];
    });
  }

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
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

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) * 16000) / 1000);
    const n = due - this.sent;
    if (n <= 0) return;
    const mic = this.path.process(this.take(n));
    for (let i = 0; i < n; i++) mic[i]! += this.hiss[(this.sent + i) % this.hiss.length]!;
    if (this.user) {
      this.userStartedAt ??= performance.now();
      const take = Math.min(n, this.user.length - this.userAt);
      for (let i = 0; i < take; i++) mic[i]! += this.user[this.userAt + i]!;
      this.userAt += take;
      if (this.userAt >= this.user.length) this.user = null;
    }
    this.sent = due;
    const pcm = toPcm16(this.up.process(mic));
    if (pcm.length > 0) this.session.sendAudio(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer);
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

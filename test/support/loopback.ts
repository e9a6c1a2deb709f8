// A client with a loudspeaker and no echo cancellation: it plays the answer audio it receives
// in real time through a simulated room (room.ts) into its microphone, which also hears the
// user (speech injected with say()) and a little noise, and streams the microphone back as
// 16 kHz PCM16 binary frames every 20 ms (the session's input format must be 16 kHz PCM).
// `duet.output_audio.clear` drops the audio not yet played, as a well-behaved client does.
import { StreamingResampler } from '../../server/audio/resample.js';
import { decodeOutputAudio } from '../../server/voice/output-format.js';
import type { TestClient } from './client.js';
import { noise, RoomPath, type RoomParams } from './room.js';
import { toPcm16 } from './speech.js';

const TICK_MS = 20;

export interface LoopbackOptions {
  room: RoomParams;
  /** Gain of the loudspeaker -> microphone path (see room.ts echoGainFor). */
  echoGain: number;
  noiseDbfs?: number;
}

export class LoopbackClient {
  private readonly path: RoomPath;
  private readonly resampler = new StreamingResampler(24000, 16000);
  private playback: Float32Array[] = [];
  private user: Float32Array | null = null;
  private userAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private sentSamples = 0;
  private readonly hiss: Float32Array;
  /** 16 kHz samples of answer audio received for playback. */
  receivedSamples = 0;

  /** performance.now() when say() audio began to enter the microphone. */
  userStartedAt: number | null = null;

  constructor(private readonly client: TestClient, private readonly o: LoopbackOptions) {
    this.path = new RoomPath(o.room, o.echoGain);
    this.hiss = noise(16000, o.noiseDbfs ?? -65, 11);
    client.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const event = JSON.parse(data.toString()) as { type: string; delta?: string };
      if (event.type === 'response.output_audio.delta' && event.delta) {
        // Run dry: this frame starts playing now, to the sample (the reference's listener model),
        // not at the next 20 ms tick.
        if (this.playback.length === 0 && this.timer) {
          const nowSample = Math.floor(((performance.now() - this.startedAt) * 16000) / 1000);
          if (nowSample > this.sentSamples) this.playback.push(new Float32Array(nowSample - this.sentSamples));
        }
        const samples = this.resampler.process(decodeOutputAudio('audio/pcm', Buffer.from(event.delta, 'base64')));
        this.receivedSamples += samples.length;
        this.playback.push(samples);
      } else if (event.type === 'duet.output_audio.clear') {
        this.playback = [];
      }
    });
  }

  /** Starts the microphone stream (real time, 20 ms frames). */
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
    const n = due - this.sentSamples;
    if (n <= 0) return;
    const speaker = this.takePlayback(n);
    const mic = this.path.process(speaker);
    for (let i = 0; i < n; i++) mic[i] += this.hiss[(this.sentSamples + i) % this.hiss.length];
    if (this.user) {
      this.userStartedAt ??= performance.now();
      const take = Math.min(n, this.user.length - this.userAt);
      for (let i = 0; i < take; i++) mic[i] += this.user[this.userAt + i];
      this.userAt += take;
      if (this.userAt >= this.user.length) this.user = null;
    }
    this.sentSamples = due;
    if (this.client.ws.readyState === this.client.ws.OPEN) this.client.ws.send(toPcm16(mic));
  }

  private takePlayback(n: number): Float32Array {
    const out = new Float32Array(n);
    let filled = 0;
    while (filled < n && this.playback.length > 0) {
      const head = this.playback[0]!;
      const take = Math.min(head.length, n - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.playback.shift();
      else this.playback[0] = head.subarray(take);
    }
    return out;
  }
}

// A raw-socket client with a loudspeaker and no echo cancellation: it plays the answer audio it
// receives in real time through a simulated room into its microphone (loudspeaker-mic.ts), which
// also hears the user (say()), and streams the microphone back as 16 kHz PCM16 binary frames
// every 20 ms (the session's input format must be 16 kHz PCM). `duet.output_audio.clear` drops
// the audio not yet played, as a well-behaved client does.
import { StreamingResampler } from '../../server/audio/resample.js';
import { decodeOutputAudio } from '../../server/voice/output-format.js';
import type { TestClient } from './client.js';
import { LoudspeakerMicrophone } from './loudspeaker-mic.js';
import type { RoomParams } from './room.js';
import { toPcm16 } from './speech.js';

export interface LoopbackOptions {
  room: RoomParams;
  /** Gain of the loudspeaker -> microphone path (see room.ts echoGainFor). */
  echoGain: number;
  noiseDbfs?: number;
  /** The client's clock against the server's, ppm (its playback and capture share it). */
  clockPpm?: number;
}

export class LoopbackClient {
  private readonly mic: LoudspeakerMicrophone;
  private readonly resampler = new StreamingResampler(24000, 16000);

  constructor(private readonly client: TestClient, o: LoopbackOptions) {
    this.mic = new LoudspeakerMicrophone(o.room, o.echoGain, o.noiseDbfs, 11, o.clockPpm);
    client.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const event = JSON.parse(data.toString()) as { type: string; delta?: string };
      if (event.type === 'response.output_audio.delta' && event.delta) this.mic.play(this.resampler.process(decodeOutputAudio('audio/pcm', Buffer.from(event.delta, 'base64'))));
      else if (event.type === 'duet.output_audio.clear') this.mic.clear();
    });
  }

  /** 16 kHz samples of answer audio received for playback. */
  get receivedSamples(): number {
    return this.mic.receivedSamples;
  }

  /** performance.now() when say() audio began to enter the microphone. */
  get userStartedAt(): number | null {
    return this.mic.userStartedAt;
  }

  /** Starts the microphone stream (real time, 20 ms frames). */
  start(): void {
    this.mic.start((samples) => {
      if (this.client.ws.readyState === this.client.ws.OPEN) this.client.ws.send(toPcm16(samples));
    });
  }

  /** The user speaks (16 kHz samples) from the next tick on. */
  say(samples: Float32Array): void {
    this.mic.say(samples);
  }

  stop(): void {
    this.mic.stop();
  }
}

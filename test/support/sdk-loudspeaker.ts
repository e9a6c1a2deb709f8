// An Agents SDK app on a loudspeaker with no echo cancellation: it plays the answer audio the
// SDK hands it (`audio` events, PCM16 24 kHz) in real time through a simulated room into its
// microphone (loudspeaker-mic.ts), which also hears the user (say()), and sends the microphone to
// the SDK every 20 ms (session.sendAudio, PCM16 24 kHz, the SDK's default input). On
// `audio_interrupted` it stops playback, as the SDK's documentation asks of an app.
import type { RealtimeSession } from '@openai/agents-realtime';
import { StreamingResampler } from '../../server/audio/resample.js';
import { LoudspeakerMicrophone } from './loudspeaker-mic.js';
import type { RoomParams } from './room.js';
import { toPcm16 } from './speech.js';

export class SdkLoudspeaker {
  private readonly mic: LoudspeakerMicrophone;
  private readonly down = new StreamingResampler(24000, 16000);
  private readonly up = new StreamingResampler(16000, 24000);

  constructor(private readonly session: RealtimeSession, room: RoomParams, echoGain: number) {
    this.mic = new LoudspeakerMicrophone(room, echoGain, -65, 13);
    session.on('audio', (event: { data: ArrayBuffer }) => {
      const pcm = new Int16Array(event.data);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i]! / 32768;
      this.mic.play(this.down.process(samples));
    });
    session.on('audio_interrupted', () => this.mic.clear());
  }

  start(): void {
    this.mic.start((samples) => {
      const pcm = toPcm16(this.up.process(samples));
      if (pcm.length > 0) this.session.sendAudio(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer);
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

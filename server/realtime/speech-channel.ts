import type { SpeechSynthesizer } from '../../models/types.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import type { OutputChannel } from '../response/output-channel.js';
import type { PartRef } from '../response/response-run.js';
import { SpeechTrack, type SpeechFrame } from '../voice/speech-track.js';
import { AudioPacer } from '../voice/pacer.js';
import { decodeOutputAudio, outputSampleRate } from '../voice/output-format.js';
import { dbToGain, OutputGain } from '../voice/output-gain.js';
import type { OutputAudioTap } from '../audio/echo/reference.js';
import type { DeltaTemplate } from './outbound.js';
import type { SessionContext } from './session-context.js';

export interface SpeechChannelParams {
  ref: PartRef;
  session: SessionContext;
  tts: SpeechSynthesizer;
  voice: Config['voice'];
  metrics: Metrics;
  /** The echo canceller's reference: every audio frame as it is sent, and cuts (null: not kept). */
  tap?: OutputAudioTap | null;
}

/**
 * Audio modality: generated text -> clauses -> TTS -> paced audio deltas, each preceded by
 * the transcript it speaks. Pause stops sending at once (synthesis goes on into the track); a
 * duck goes on sending, lowered, until resume or pause; cancel drops pending synthesis and
 * reports the audio sent ahead of the listener.
 */
class SpeechChannel implements OutputChannel {
  private readonly track: SpeechTrack;
  private readonly pacer: AudioPacer<SpeechFrame>;
  private readonly running: Promise<'completed' | 'cancelled'>;
  private failure: unknown = null;
  private sent = '';
  private readonly transcriptDelta: DeltaTemplate;
  private readonly audioDelta: DeltaTemplate;
  private readonly gain: OutputGain;
  private ducking = false;
  firstEmitAtMs: number | null = null;

  constructor(private readonly p: SpeechChannelParams) {
    const s = p.session.settings;
    this.transcriptDelta = p.session.outbound.deltaTemplate('response.output_audio_transcript.delta', p.ref);
    this.audioDelta = p.session.outbound.deltaTemplate('response.output_audio.delta', p.ref);
    this.track = new SpeechTrack({
      tts: p.tts,
      format: s.outputFormat.type,
      voice: s.voice,
      speed: s.speed,
      minChunkChars: p.voice.minChunkChars,
      maxChunkChars: p.voice.maxChunkChars,
      frameMs: p.voice.frameMs,
      chunksAhead: p.voice.chunksAhead,
    });
    this.gain = new OutputGain(this.track.format);
    this.pacer = new AudioPacer(this.track, { leadMs: p.voice.leadMs, send: (frame) => this.send(frame), onCancel: () => this.track.cancel() });
    this.running = this.pacer.run();
    this.running.catch((err: unknown) => (this.failure = err));
  }

  private send(frame: SpeechFrame): void {
    const { outbound } = this.p.session;
    this.firstEmitAtMs ??= performance.now();
    if (frame.text) {
      this.sent += frame.text;
      outbound.sendDelta(this.transcriptDelta, frame.text);
    }
    if (frame.audio.length > 0) {
      // What is sent is what the reference keeps: a ducked frame at its lowered level.
      const { bytes, samples } = this.gain.apply(frame.audio);
      outbound.sendDelta(this.audioDelta, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), true);
      this.p.metrics.audioOutSeconds.inc(frame.durationMs / 1000);
      this.p.tap?.sent(samples ?? decodeOutputAudio(this.track.format, bytes), outputSampleRate(this.track.format), performance.now());
    }
  }

  get paused(): boolean {
    return this.pacer.paused || this.ducking;
  }

  get ducked(): boolean {
    return this.ducking && !this.pacer.paused;
  }

  duck(gainDb: number): boolean {
    if (this.pacer.state === 'cancelled') return false;
    this.ducking = true;
    this.gain.set(dbToGain(gainDb));
    // Less sent ahead while the user may be interrupting: should the duck become a pause, less of
    // the answer is left to play out at the client.
    this.pacer.setLead(this.p.voice.duckLeadMs);
    return true;
  }

  write(text: string): void {
    this.track.pushText(text);
  }

  async end(): Promise<void> {
    this.track.endText();
    await this.running.catch(() => undefined);
    if (this.failure) throw this.failure;
  }

  pause(): void {
    this.pacer.pause();
  }

  resume(): void {
    this.ducking = false;
    this.gain.set(1);
    this.pacer.setLead(null);
    this.pacer.resume();
  }

  bufferedAudioMs(): number {
    return Math.max(0, this.pacer.sentMs - this.pacer.playedMs);
  }

  cancel(): { staleAudioMs: number } {
    const staleAudioMs = this.pacer.cancel().staleMs;
    // The client drops what it has not played (duet.output_audio.clear): so does the reference.
    this.p.tap?.cut(performance.now());
    return { staleAudioMs };
  }

  sentText(): string {
    return this.sent;
  }

  truncateAt(audioEndMs: number): string {
    // Playback stopped while this answer's audio was still queued at the client: it is not played.
    // (After cancel() the cut is made; a later answer's audio may be queued by now.)
    if (this.pacer.state !== 'cancelled' && this.pacer.playedMs < this.pacer.sentMs) this.p.tap?.cut(performance.now());
    const heard = this.track.truncateAt(audioEndMs);
    this.sent = heard;
    return heard;
  }
}

export function createSpeechChannel(p: SpeechChannelParams): OutputChannel {
  return new SpeechChannel(p);
}

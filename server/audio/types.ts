// Types shared by the audio input path (decoder -> front-end -> turn events).
import type { AudioSegment } from '../../models/types.js';

/** The pipeline's internal audio: 16 kHz mono float in [-1, 1]. */
export const PIPELINE_SAMPLE_RATE = 16000;

/** Client input formats of the Realtime protocol (`session.audio.input.format`). */
export type InputAudioFormat =
  | { type: 'audio/pcm'; rate: 24000 | 16000 }
  | { type: 'audio/pcmu' }
  | { type: 'audio/pcma' };

export const DEFAULT_INPUT_AUDIO_FORMAT: InputAudioFormat = { type: 'audio/pcm', rate: 24000 };

/** The session's `turn_detection` as the front-end needs it (other protocol fields are ignored here). */
export interface ServerVadSettings {
  type: 'server_vad';
  /** Speech-on probability; speech-off is this minus the configured hysteresis offset. */
  threshold: number;
  prefix_padding_ms: number;
  silence_duration_ms: number;
}

/** `null`: manual turns (the client commits). */
export type TurnDetectionSettings = ServerVadSettings | null;

/** What the front-end tells the session, in order. Times are ms on the session's input clock. */
export type TurnEvent =
  /**
   * The first speech frame: speech may be starting (not yet confirmed by the minimum speech).
   * Lets an answer pause at once; `voice_dropped` or `speech_started` always follows.
   */
  | { type: 'voice_onset'; speechOnsetMs: number }
  /** The possible speech announced by `voice_onset` was a blip: it ended before the minimum speech. */
  | { type: 'voice_dropped' }
  /**
   * Silence after confirmed speech has lasted the tuning's `pauseEventMs`: the turn may be ending.
   * `segment` is the speech so far, exactly the segment the silence timer will hand on if the
   * pause goes on. `pause_ended` (speech resumed) or `speech_stopped` always follows.
   */
  | { type: 'pause_started'; speechEndMs: number; segment: AudioSegment }
  /** The pause announced by `pause_started` ended in more speech of the same turn. */
  | { type: 'pause_ended' }
  /** Speech began; `audioStartMs` already includes the prefix padding. */
  | { type: 'speech_started'; audioStartMs: number; /** Where the speech itself began (no padding). */ speechOnsetMs: number }
  /** Speech ended (after the silence duration); `audioEndMs` is where the speech stopped. */
  | { type: 'speech_stopped'; audioEndMs: number }
  /**
   * A finished turn's audio, handed to the next stage. `reason`: `vad` (speech_stopped),
   * `max_length` (cut at the segment cap while speech went on), `commit` (manual commit),
   * `close` (the session ended mid-speech: only when flushing on close was asked for).
   */
  | { type: 'segment'; segment: AudioSegment; reason: 'vad' | 'max_length' | 'commit' | 'close' };

export type TurnEventListener = (event: TurnEvent) => void;

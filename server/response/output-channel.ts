/** Addresses one content part of one response: every delta event carries it. */
export interface PartRef {
  response_id: string;
  item_id: string;
  output_index: number;
  content_index: number;
}

/**
 * Where a response's generated text goes on its way to the client: straight out as
 * text deltas, or through speech synthesis and pacing as audio. Pause/resume/cancel
 * live here so an interruption is handled in one place, whatever the modality.
 */
export interface OutputChannel {
  /** Generated text, in order. */
  write(text: string): void;
  /** No more text; resolves once everything has been emitted (or the channel was cancelled). */
  end(): Promise<void>;
  /** Stop emitting at once; generation may continue into the channel's buffer. */
  pause(): void;
  /** Emit what was held, exactly once, then go on (at full level after a duck). */
  resume(): void;
  /**
   * Audio channels: go on emitting, `gainDb` quieter, until resume() (pause() then stops it). The
   * channel counts as paused meanwhile: the answer is held for the user's speech. False: this
   * channel cannot duck (the caller pauses instead).
   */
  duck?(gainDb: number): boolean;
  /** Ducked and still emitting (not paused since). */
  readonly ducked?: boolean;
  /** Drop everything not yet emitted; nothing is emitted after this returns. */
  cancel(): { staleAudioMs: number };
  /** Text the client has received so far (what the user saw or heard). */
  sentText(): string;
  /**
   * Audio channels: what the client still has buffered and unplayed, by the pacer's playback
   * model. Read while paused, 0 means the client's buffer ran dry: the pause was audible.
   */
  bufferedAudioMs?(): number;
  /** Truncates to what was heard at `audioEndMs` (audio channels); returns the heard text, or null if not applicable. */
  truncateAt?(audioEndMs: number): string | null;
  /** Held for the user's speech: stopped, or ducked. */
  readonly paused: boolean;
  /** ms timestamp of the first emitted delta, null before. */
  readonly firstEmitAtMs: number | null;
}

export interface DeltaSink {
  textDelta(delta: string): void;
}

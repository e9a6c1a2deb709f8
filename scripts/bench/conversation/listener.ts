// The conversation client's ears: every answer's audio goes into a Playback (interaction/
// playback.ts) at 1x, and an underrun is a delta that arrives after the client's buffer for that
// answer ran dry while the answer was still going (no pause, resume or clear in between: a paused
// answer stops on purpose). Only lengths matter here, so no audio is decoded.
import { Playback } from '../interaction/playback.js';
import type { Arrival } from '../load/ws-session.js';

/** Output PCM: 24 kHz, 24 samples a ms. */
const PER_MS = 24;
/** A gap shorter than this is timer rounding, not something anyone hears. */
const AUDIBLE_MS = 1;
const NO_SPEAKER = new Float32Array(0);
let zeros = new Float32Array(PER_MS * 200);

/** Samples in a base64 PCM16 delta, from its length alone. */
export function pcm16SamplesInBase64(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return ((base64.length * 3) / 4 - padding) >> 1;
}

export class AnswerListener {
  readonly playback = new Playback(performance.now(), NO_SPEAKER, PER_MS);
  /** First audio delta per response id (arrival time). */
  readonly firstAudioAt = new Map<string, number>();
  readonly doneAt = new Map<string, number>();
  readonly createdAt = new Map<string, number>();
  /** Underrun gaps, ms. */
  readonly underrunsMs: number[] = [];
  clears = 0;
  private interrupted = false;

  onEvent = ({ event, atMs }: Arrival): void => {
    switch (event.type) {
      case 'response.created':
        this.createdAt.set(String((event.response as { id: string }).id), atMs);
        break;
      case 'response.done':
        this.doneAt.set(String((event.response as { id: string }).id), atMs);
        break;
      case 'response.output_audio.delta':
        this.onAudio(String(event.item_id), String(event.response_id), String(event.delta), atMs);
        break;
      case 'duet.response.paused':
        this.interrupted = true;
        // As the duet page does: a firm pause freezes playback; a tentative one lets the buffer play on.
        if (event.tentative !== true) this.playback.pause(atMs);
        break;
      case 'duet.response.resumed':
        this.interrupted = true;
        this.playback.resume(atMs);
        break;
      case 'duet.output_audio.clear':
        this.interrupted = true;
        this.clears++;
        this.playback.clear(atMs);
        break;
    }
  };

  /** Audio still to play at `nowMs`, ms. */
  bufferedMs(nowMs = performance.now()): number {
    return this.playback.bufferedMs(nowMs);
  }

  private onAudio(itemId: string, responseId: string, delta: string, atMs: number): void {
    if (!this.firstAudioAt.has(responseId)) this.firstAudioAt.set(responseId, atMs);
    const playback = this.playback;
    const received = playback.receivedSamples(itemId);
    if (received > 0 && !this.interrupted && playback.bufferedMs(atMs) === 0 && !playback.isPaused) {
      let lastEnd = -Infinity;
      for (let i = playback.spans.length - 1; i >= 0; i--) {
        const span = playback.spans[i]!;
        if (span.itemId === itemId) {
          lastEnd = span.endMs;
          break;
        }
      }
      const gap = atMs - lastEnd;
      if (gap >= AUDIBLE_MS && Number.isFinite(gap)) this.underrunsMs.push(gap);
    }
    this.interrupted = false;
    const n = pcm16SamplesInBase64(delta);
    if (n > zeros.length) zeros = new Float32Array(n);
    playback.enqueue(atMs, itemId, responseId, zeros.subarray(0, n));
    // Spans are only needed back to the last one per item; keep the list short over a long run.
    if (playback.spans.length > 64) playback.spans.splice(0, playback.spans.length - 16);
  }
}

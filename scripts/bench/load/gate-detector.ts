// A turn detector with no model: a chunk is speech when its RMS is above a fixed level; a turn
// ends after `silence_duration_ms` of quiet chunks. Used in place of Silero + Mel to measure the
// scheduler alone (the duplex bench's "scheduler only" rows); the real front-end is measured
// with the server's own detector.
import type { AudioSegment } from '../../../models/types.js';
import type { TurnDetection } from '../../../protocol/schema/session.js';
import type { TurnDetector, TurnDetectorFactory, TurnEvent } from '../../../server/realtime/audio-input.js';

const SAMPLES_PER_MS = 16;
/** About -40 dBFS: well above the generators' noise floor (-60 dBFS), below speech. */
const SPEECH_RMS = 0.01;

function silenceSamples(td: TurnDetection): number | null {
  if (td === null) return null;
  const ms = td.type === 'server_vad' ? (td.silence_duration_ms ?? 500) : 500;
  return ms * SAMPLES_PER_MS;
}

class GateDetector implements TurnDetector {
  private clock = 0;
  private speechStart = -1;
  private quiet = 0;
  private held: Float32Array[] = [];
  private heldSamples = 0;
  private silence: number | null;

  constructor(
    td: TurnDetection,
    private readonly onEvent: (e: TurnEvent) => void,
  ) {
    this.silence = silenceSamples(td);
  }

  push(samples: Float32Array): void {
    const from = this.clock;
    this.clock += samples.length;
    if (this.silence === null) return this.hold(samples);
    let energy = 0;
    for (let i = 0; i < samples.length; i++) energy += samples[i]! * samples[i]!;
    const loud = samples.length > 0 && Math.sqrt(energy / samples.length) > SPEECH_RMS;
    if (loud) {
      this.quiet = 0;
      if (this.speechStart < 0) {
        this.speechStart = from;
        this.onEvent({ type: 'speech_started', audioStartMs: from / SAMPLES_PER_MS, speechOnsetMs: from / SAMPLES_PER_MS });
      }
    } else if (this.speechStart >= 0) {
      this.quiet += samples.length;
    }
    if (this.speechStart < 0) return;
    this.hold(samples);
    if (this.quiet >= this.silence) {
      const end = this.clock - this.quiet;
      const segment = this.take(this.speechStart, end);
      this.speechStart = -1;
      this.quiet = 0;
      this.onEvent({ type: 'speech_stopped', audioEndMs: end / SAMPLES_PER_MS });
      this.onEvent({ type: 'segment', segment, reason: 'vad' });
    }
  }

  commit(): AudioSegment | null {
    if (this.heldSamples === 0) return null;
    const start = this.clock - this.heldSamples;
    return this.take(start, this.clock);
  }

  clear(): void {
    this.held = [];
    this.heldSamples = 0;
    this.speechStart = -1;
    this.quiet = 0;
  }

  setTurnDetection(td: TurnDetection): void {
    this.silence = silenceSamples(td);
    this.clear();
  }

  close(): void {
    this.clear();
  }

  private hold(samples: Float32Array): void {
    this.held.push(samples.slice());
    this.heldSamples += samples.length;
  }

  /** The held samples in [start, end) of the stream clock; the buffer is emptied. */
  private take(start: number, end: number): AudioSegment {
    const all = new Float32Array(this.heldSamples);
    let at = 0;
    for (const block of this.held) {
      all.set(block, at);
      at += block.length;
    }
    const heldStart = this.clock - this.heldSamples;
    this.held = [];
    this.heldSamples = 0;
    return { samples: all.slice(start - heldStart, end - heldStart), sampleRate: 16000, startMs: start / SAMPLES_PER_MS, endMs: end / SAMPLES_PER_MS };
  }
}

export const gateDetectorFactory: TurnDetectorFactory = (td, onEvent) => new GateDetector(td, onEvent);

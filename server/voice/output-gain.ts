import { decodeOutputAudio, floatToInt16, outputFormatSpec, outputSampleRate, type OutputAudioFormat } from './output-format.js';

// The level of an answer's voice as it is sent. A duck (the user may be talking over the answer:
// scheduler.duckMs) lowers it while the answer keeps playing; resuming brings it back. A change
// ramps over RAMP_MS at the start of the next frame, so the step makes no click.

/** Length of a gain change, ms. */
export const RAMP_MS = 10;

export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

export interface ScaledFrame {
  /** The frame's bytes at the current gain (the input itself at unity). */
  bytes: Uint8Array;
  /** Its samples, decoded (null at unity: the caller decodes only if it needs them). */
  samples: Float32Array | null;
}

export class OutputGain {
  private current = 1;
  private target = 1;
  private readonly rampSamples: number;
  private readonly encode: (pcm: Int16Array) => Uint8Array;

  constructor(private readonly format: OutputAudioFormat) {
    this.encode = outputFormatSpec(format).encode;
    this.rampSamples = Math.round((outputSampleRate(format) * RAMP_MS) / 1000);
  }

  /** The gain the next frames move to (linear, 1 = as synthesized). */
  set(gain: number): void {
    this.target = gain;
  }

  /** The gain the last frame ended at. */
  get level(): number {
    return this.current;
  }

  /** One encoded frame at the gain: unity frames pass untouched (no decode, no copy). */
  apply(bytes: Uint8Array): ScaledFrame {
    if (this.current === 1 && this.target === 1) return { bytes, samples: null };
    const samples = decodeOutputAudio(this.format, bytes);
    const from = this.current;
    const to = this.target;
    const ramp = from === to ? 0 : Math.min(this.rampSamples, samples.length);
    for (let i = 0; i < ramp; i++) samples[i] *= from + ((to - from) * (i + 1)) / ramp;
    for (let i = ramp; i < samples.length; i++) samples[i] *= to;
    // A frame shorter than the ramp ends the change anyway: the next one starts at the target.
    this.current = to;
    return { bytes: this.encode(floatToInt16(samples)), samples };
  }
}

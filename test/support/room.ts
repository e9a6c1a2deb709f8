// Simulated loudspeaker -> room -> microphone paths for the echo tests and bench:echo.
//
// An impulse response is a direct path (gain 1 at `delayMs`) followed by `reflections`
// discrete reflections at seeded random times over `tailMs`, their amplitudes decaying
// exponentially so the energy falls 60 dB in `rt60Ms`, with random signs (a sparse stand-in
// for a diffuse tail; sparse keeps real-time simulation cheap). Everything is linear, so a
// linear canceller can in principle remove it all; `echoDb` sets the echo's level relative to
// a reference level (the user's speech in the tests), `noiseDbfs` adds white microphone noise.
// `driftPpm` stretches the path's delay over time (client and server clocks disagreeing).

export interface RoomParams {
  name: string;
  /** Acoustic + transport delay of the direct path, ms. */
  delayMs: number;
  /** Time for the reflections to decay by 60 dB, ms. */
  rt60Ms: number;
  /** Reflections spread over this span after the direct path, ms. */
  tailMs: number;
  reflections: number;
  seed: number;
}

export interface Tap {
  /** Delay in 16 kHz samples. */
  at: number;
  gain: number;
}

export const ROOMS: readonly RoomParams[] = [
  { name: 'small-60ms', delayMs: 60, rt60Ms: 150, tailMs: 120, reflections: 24, seed: 1 },
  { name: 'office-150ms', delayMs: 150, rt60Ms: 250, tailMs: 200, reflections: 40, seed: 2 },
  { name: 'far-400ms', delayMs: 400, rt60Ms: 300, tailMs: 250, reflections: 48, seed: 3 },
  { name: 'near-20ms', delayMs: 20, rt60Ms: 200, tailMs: 150, reflections: 32, seed: 4 },
];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The room's taps at 16 kHz, direct path first. */
export function impulseResponse(room: RoomParams): Tap[] {
  const random = rng(room.seed);
  const taps: Tap[] = [{ at: Math.round(room.delayMs * 16), gain: 1 }];
  for (let r = 0; r < room.reflections; r++) {
    const afterMs = 2 + random() * (room.tailMs - 2);
    const amplitude = 0.6 * 10 ** ((-60 * afterMs) / room.rt60Ms / 20);
    taps.push({ at: Math.round((room.delayMs + afterMs) * 16), gain: (random() < 0.5 ? -1 : 1) * amplitude });
  }
  return taps;
}

/** Root mean square of a signal (or a part of it). */
export function rms(x: Float32Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** Streams signal through a room: feed the loudspeaker, read the echo at the microphone (same length). */
export class RoomPath {
  private readonly taps: Tap[];
  private readonly history: Float32Array;
  private written = 0;
  private readonly gain: number;
  private readonly driftPerSample: number;

  /** `gain` scales the whole echo (see echoGainFor); `driftPpm` grows the delay by that many samples per million. */
  constructor(room: RoomParams, gain: number, driftPpm = 0) {
    this.taps = impulseResponse(room);
    const longest = Math.max(...this.taps.map((t) => t.at));
    this.history = new Float32Array(2 ** Math.ceil(Math.log2(longest + 16000)));
    this.gain = gain;
    this.driftPerSample = driftPpm / 1e6;
  }

  /** The microphone's echo for the next `speaker.length` loudspeaker samples. */
  process(speaker: Float32Array): Float32Array {
    const mask = this.history.length - 1;
    const out = new Float32Array(speaker.length);
    for (let k = 0; k < speaker.length; k++) {
      const n = this.written + k;
      this.history[n & mask] = speaker[k];
      const drift = Math.round(n * this.driftPerSample);
      let v = 0;
      for (const tap of this.taps) {
        const i = n - tap.at - drift;
        if (i >= 0 && i > n - this.history.length) v += tap.gain * this.history[i & mask];
      }
      out[k] = v * this.gain;
    }
    this.written += speaker.length;
    return out;
  }
}

/** Whole-signal convenience: the echo of `speaker` through `room`. */
export function echoOf(speaker: Float32Array, room: RoomParams, gain: number, driftPpm = 0): Float32Array {
  return new RoomPath(room, gain, driftPpm).process(speaker);
}

/** Scales so that the echo's RMS (over its active part) is `echoDb` relative to `levelRms`. */
export function echoGainFor(speaker: Float32Array, room: RoomParams, levelRms: number, echoDb: number): number {
  const echo = echoOf(speaker, room, 1);
  const active = activeRms(echo);
  return active > 0 ? (levelRms * 10 ** (echoDb / 20)) / active : 0;
}

/** RMS over 20 ms blocks louder than -50 dB below the peak block (speech, not its pauses). */
export function activeRms(x: Float32Array): number {
  const block = 320;
  const energies: number[] = [];
  for (let i = 0; i + block <= x.length; i += block) energies.push(rms(x, i, i + block) ** 2);
  const peak = Math.max(0, ...energies);
  const loud = energies.filter((e) => e > peak * 1e-5);
  return loud.length ? Math.sqrt(loud.reduce((a, b) => a + b, 0) / loud.length) : 0;
}

/** Seeded white noise at `dbfs` (RMS re full scale). */
export function noise(samples: number, dbfs: number, seed = 7): Float32Array {
  const random = rng(seed);
  const amplitude = 10 ** (dbfs / 20) * Math.sqrt(3);
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) out[i] = (random() * 2 - 1) * amplitude;
  return out;
}

/** `x` scaled so that its active RMS (see activeRms) is `dbfs`; -26 dBFS leaves a +6 dB echo of it unclipped. */
export function atLevel(x: Float32Array, dbfs: number): Float32Array {
  const gain = 10 ** (dbfs / 20) / Math.max(activeRms(x), 1e-9);
  return x.map((v) => v * gain);
}

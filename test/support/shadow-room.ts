// A reference of noise and its echo through a two-path room given as a filter response in
// SpeexDSP's int32 scale: for tests of what searches the echo with that response (shadow-echo.ts,
// late-echo-probe.ts), where the echo's reading must be known to the sample.
import { EchoReference } from '../../server/audio/echo/reference.js';

/** Uniform noise in ±0.25 from a seeded LCG (the same seed, the same noise). */
export function lcgNoise(n: number, seed: number): Float32Array {
  let x = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = (x / 2147483648 - 0.5) * 0.5;
  }
  return out;
}

/** A room: direct path at 50 taps, a reflection at 400-401. */
export const ROOM_RESPONSE = new Int32Array(4800);
ROOM_RESPONSE[50] = 20000;
ROOM_RESPONSE[400] = -9000;
ROOM_RESPONSE[401] = 4000;

/** `samples` of noise sent at 16 kHz from time 0, and the echo of the reference read from sample `from` on, `n` samples. */
export function shadowRoom(samples: number, seed: number): { reference: EchoReference; echoAt: (from: number, n: number) => Int16Array } {
  const reference = new EchoReference({ originMs: 0 });
  reference.sent(lcgNoise(samples, seed), 16000, 0);
  const all = new Int16Array(samples);
  reference.read(0, all);
  const echoAt = (from: number, n: number) => {
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      let y = 0;
      for (let k = 0; k < ROOM_RESPONSE.length; k++) if (ROOM_RESPONSE[k] !== 0 && from + i - k >= 0) y += (ROOM_RESPONSE[k]! / 32768) * all[from + i - k]!;
      out[i] = Math.round(y);
    }
    return out;
  };
  return { reference, echoAt };
}

// The barge-in measurement the echo benches share: the user's speech onset through the front end
// (the canceller and its gate, or bypassed for the no-echo baseline), within [-100, +2000) ms of
// when the user starts; undefined when missed.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd, type EchoSimOptions } from '../../test/support/echo-sim.js';

export async function bargeInOnset(silero: SileroModel, sim: Omit<EchoSimOptions, 'user' | 'userAtMs' | 'durationMs'>, user: Float32Array, atMs: number, echoed: boolean): Promise<number | undefined> {
  const r = await onsetsThroughFrontEnd(silero, { ...sim, user, userAtMs: atMs, durationMs: atMs + user.length / 16 + 800 }, echoed ? { gate: true } : { gate: false, bypass: true });
  return r.onsets.find((t) => t >= atMs - 100 && t < atMs + 2000);
}

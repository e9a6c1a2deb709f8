// The barge-in measurement the echo benches share: the user's speech onset through the front end
// (the canceller and its gate, or bypassed for the no-echo baseline), within [-100, +2000) ms of
// when the user starts; undefined when missed.
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd, type EchoSimOptions } from '../../test/support/echo-sim.js';
import { ROOMS } from '../../test/support/room.js';

export async function bargeInOnset(silero: SileroModel, sim: Omit<EchoSimOptions, 'user' | 'userAtMs' | 'durationMs'>, user: Float32Array, atMs: number, echoed: boolean): Promise<number | undefined> {
  const r = await onsetsThroughFrontEnd(silero, { ...sim, user, userAtMs: atMs, durationMs: atMs + user.length / 16 + 800 }, echoed ? { gate: true } : { gate: false, bypass: true });
  const onset = bargeInAmong(r.onsets, atMs);
  // Counted as late as the turn could start: the output at its decision may have been held back (deferred-frames.ts).
  return onset === undefined ? undefined : onset + r.onsetsHeldMs[r.onsets.indexOf(onset)]!;
}

/** The barge-in's onset among `onsets` (ms): the first within [-100, +2000) ms of when the user started (`atMs`). */
export function bargeInAmong(onsets: readonly number[], atMs: number): number | undefined {
  return onsets.find((t) => t >= atMs - 100 && t < atMs + 2000);
}

/** The onset of `user` starting at a given time with no echo (the canceller bypassed), each start measured once: the baseline a barge-in over echo is measured against. */
export function noEchoBaseline(silero: SileroModel, user: Float32Array): (atMs: number) => Promise<number | undefined> {
  const onsets = new Map<number, number | undefined>();
  return async (atMs) => {
    if (!onsets.has(atMs)) onsets.set(atMs, await bargeInOnset(silero, { assistant: new Float32Array(0), room: ROOMS[0]!, echoGain: 0, networkMs: 30 }, user, atMs, false));
    return onsets.get(atMs);
  };
}

/** A barge-in's onset over the echo against the same speech with no echo (ms), or 'missed'. */
export type OnsetDelta = number | 'missed';
/** A barge-in later than this behind the no-echo baseline counts as late (ms). */
export const LATE_MS = 100;

/**
 * Measures barge-ins of `user` over the echo of `sim`, each against the no-echo baseline at the
 * same start (noEchoBaseline). `sim` as bargeInOnset takes it.
 */
export function bargeInDeltas(silero: SileroModel, user: Float32Array): (sim: Parameters<typeof bargeInOnset>[1], atMs: number) => Promise<OnsetDelta> {
  const baseline = noEchoBaseline(silero, user);
  return async (sim, atMs) => {
    const onset = await bargeInOnset(silero, sim, user, atMs, true);
    const base = await baseline(atMs);
    return onset === undefined || base === undefined ? 'missed' : Math.round(onset - base);
  };
}

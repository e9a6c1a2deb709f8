// The echo canceller tests' shared setup: the assistant's answer and the user's barge-in spoken
// by espeak-ng, the real Silero VAD, and the check that a barge-in over echo is heard.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { speexAvailability } from '../../server/audio/echo/speex.js';
import { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from './echo-sim.js';
import { espeakAvailable, speak } from './espeak.js';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { activeRms, atLevel, echoGainFor, echoOf, noise, type RoomParams } from './room.js';
import { joinAnswers } from './speech.js';

const ANSWER = 'The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes.';
const BARGE_IN = 'Wait, stop please. I have a question.';
const SECOND_ANSWER = 'Sure. The river runs from the mountains to the sea, and many birds live along its banks all year.';
export const noEspeak = espeakAvailable() ? false : 'espeak-ng is not installed';
export const noSpeex = speexAvailability().available ? false : 'libspeexdsp1 is not installed';

/** The answer, the user's barge-in at -26 dBFS, and Silero v5 (release it after the tests). */
export async function loadEchoFixture(): Promise<{ assistant: Float32Array; user: Float32Array; silero: SileroModel }> {
  return { assistant: speak(ANSWER)!, user: atLevel(speak(BARGE_IN, 'en-gb+f3')!, -26), silero: await SileroModel.load({ version: 'v5' }) };
}

/** The answer played into `room` (echo at `echoDb` re the user's voice), the reference the server holds of it, the user's barge-in at -26 dBFS and the microphone's hiss at -65 dBFS; `echo` may be replaced (an underrun). */
export interface EchoScene {
  answer: Float32Array;
  user: Float32Array;
  reference: EchoReference;
  echo: Float32Array;
  floor: Float32Array;
}

/** An EchoScene (espeak-ng needed: see noEspeak). */
export function echoScene(room: RoomParams, echoDb = 0): EchoScene {
  const answer = speak(ANSWER)!;
  const user = atLevel(speak(BARGE_IN, 'en-gb+f3')!, -26);
  const reference = new EchoReference({ originMs: 0, capacityMs: 30_000, energyHistoryMs: 30_000 });
  reference.sent(answer, 16000, 0);
  const echo = echoOf(answer, room, echoGainFor(answer, room, activeRms(user), echoDb));
  return { answer, user, reference, echo, floor: noise(echo.length + 16000, -65) };
}

/** Microphone frame `f` of `scene` (out.length samples): the echo, the user from sample `userFrom` (Infinity: never) and the hiss, as int16 in `out`; the frame's user and echo energies (float units). */
export function micFrame(scene: EchoScene, f: number, userFrom: number, out: Int16Array): { user: number; echo: number } {
  let user = 0;
  let echo = 0;
  for (let k = 0; k < out.length; k++) {
    const n = f * out.length + k;
    const u = n >= userFrom && n - userFrom < scene.user.length ? scene.user[n - userFrom]! : 0;
    user += u * u;
    echo += scene.echo[n]! * scene.echo[n]!;
    out[k] = Math.round((scene.echo[n]! + u + scene.floor[n]!) * 32767);
  }
  return { user, echo };
}

/**
 * A session's two answers as its client plays them: `first`, 2 s the server sent nothing in
 * (`unsent`, for the simulation), then a second answer starting at `secondAtMs`.
 */
export function twoAnswers(first: Float32Array): ReturnType<typeof joinAnswers> {
  return joinAnswers(first, speak(SECOND_ANSWER)!, 2000);
}

/** Loads the fixture before a file's tests (handing it to `use`) and releases Silero after them; nothing without espeak-ng. */
export function useEchoFixture(use: (fixture: Awaited<ReturnType<typeof loadEchoFixture>>) => void): void {
  let silero: SileroModel | undefined;
  before(async () => {
    if (noEspeak) return;
    const fixture = await loadEchoFixture();
    silero = fixture.silero;
    use(fixture);
  });
  after(async () => {
    await silero?.release();
  });
}

/**
 * The barge-in at `atMs` over the echo in `sim` (its user speaking) is heard: an onset from 100 ms
 * before it, no more than `slackMs` later than the same speech with no echo, and none from the
 * echo alone between `echoFromMs` and it. Returns the run over the echo for further checks.
 */
export async function assertHeardOverEcho(silero: SileroModel, sim: Parameters<typeof onsetsThroughFrontEnd>[1], atMs: number, label: string, echoFromMs = Number.NEGATIVE_INFINITY, slackMs = 64): Promise<Awaited<ReturnType<typeof onsetsThroughFrontEnd>>> {
  const on = await onsetsThroughFrontEnd(silero, sim, { gate: true });
  const alone = await onsetsThroughFrontEnd(silero, { ...sim, echoGain: 0 }, { gate: false, bypass: true });
  assert.deepEqual(on.onsets.filter((t) => t >= echoFromMs && t < atMs - 100), [], `${label}: the echo started speech`);
  const at = on.onsets.findIndex((t) => t >= atMs - 100);
  assert.ok(at >= 0, `${label}: the barge-in was missed`);
  // As late as the turn could start: the output at its decision may have been held back (deferred-frames.ts).
  const onset = on.onsets[at]! + on.onsetsHeldMs[at]!;
  assert.ok(onset - alone.onsets[0]! <= slackMs, `${label}: onset ${onset} ms over the echo (held back ${on.onsetsHeldMs[at]} ms), ${alone.onsets[0]} ms alone`);
  return on;
}

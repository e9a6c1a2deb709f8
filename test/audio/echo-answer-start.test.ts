// A new answer's first frames, held back from the turn detector while its run is searched for, and
// handed on as the filter cancelled them at the reading found (deferred-frames.ts): a user who speaks
// as the answer's echo arrives. Simulated rooms, espeak-ng speech, the real Silero VAD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { assertHeardOverEcho, noEspeak, noSpeex, twoAnswers, useEchoFixture } from '../support/echo-fixture.js';
import { simulateEcho } from '../support/echo-sim.js';
import { ROOMS, activeRms, echoGainFor } from '../support/room.js';
import { speak } from '../support/espeak.js';
import { joinAnswers } from '../support/speech.js';
import { ANSWER, SECOND_ANSWER, USER_DBFS, espeakUserVoice } from '../../scripts/bench/echo.js';

let assistant: Float32Array;
let user: Float32Array;
let silero: SileroModel;
useEchoFixture((fixture) => ({ assistant, user, silero } = fixture));

const NETWORK_MS = 30;

test('a barge-in as a second answer\'s echo arrives (0 and 50 ms after; begun between samples, a sample off, 40 samples off; 0 and -6 dB): heard within 64 ms of the same speech with no echo, the time held back counted', { skip: noEspeak || noSpeex }, async () => {
  // Before, the frames the filter was held over (the run's first 100-150 ms) were judged against the
  // room's loudest echo: every one of these was missed or heard a second late (bench:echo answer-starts).
  const { both, secondAtMs, unsent } = twoAnswers(assistant);
  const cases = [[ROOMS[0]!, 0.5, 0, 0], [ROOMS[1]!, 0.5, 0, 50], [ROOMS[2]!, 1, 0, 0], [ROOMS[3]!, 40, 0, 50], [ROOMS[0]!, 1, -6, 0], [ROOMS[1]!, 40, -6, 50]] as const;
  for (const [room, samples, echoDb, afterMs] of cases) {
    const atMs = secondAtMs + room.delayMs + NETWORK_MS + afterMs;
    const sim = { assistant: both, room, networkMs: NETWORK_MS, unsent, runShift: { atMs: secondAtMs, samples }, echoGain: echoGainFor(both, room, activeRms(user), echoDb), user, userAtMs: atMs, durationMs: atMs + 3000 };
    await assertHeardOverEcho(silero, sim, atMs, `${room.name}, ${echoDb} dB, begun ${samples} samples late, ${afterMs} ms after its echo arrived`, secondAtMs);
  }
});

test('the same as the new answer\'s echo arrives, with bench:echo\'s voices (office, -6 dB, begun 40 samples off, 0 ms after): the first frame heard again after the hold goes on as the filter left it, not as the stale suppressor crushed it', { skip: noEspeak || noSpeex }, async () => {
  // The suppressor, last run before the hold, took the word's first 10 ms down 35 dB (58 -> 23 dB),
  // the VAD heard "Wait," 224 ms long where alone it heard 256, short of its 250 ms minimum, and the
  // barge-in was heard 992 ms late (bench:echo answer-starts).
  const { both, secondAtMs, unsent } = joinAnswers(speak(ANSWER)!, speak(SECOND_ANSWER)!, 2000);
  const room = ROOMS[1]!;
  const voice = espeakUserVoice()!;
  const atMs = secondAtMs + room.delayMs + NETWORK_MS;
  const sim = { assistant: both, room, networkMs: NETWORK_MS, unsent, runShift: { atMs: secondAtMs, samples: 40 }, echoGain: echoGainFor(both, room, 10 ** (USER_DBFS / 20), -6), user: voice, userAtMs: atMs, durationMs: atMs + 3000 };
  await assertHeardOverEcho(silero, sim, atMs, 'office -6 dB, 40 samples off, 0 ms after', secondAtMs);
});

test('a new answer\'s first frames are held back, then handed on in order: none lost or doubled, a flush hands on what is held as it came', { skip: noEspeak || noSpeex }, async () => {
  const { both, secondAtMs, unsent } = twoAnswers(assistant);
  const room = ROOMS[1]!;
  const arrivesMs = secondAtMs + room.delayMs + NETWORK_MS;
  const base = { assistant: both, room, networkMs: NETWORK_MS, unsent, runShift: { atMs: secondAtMs, samples: 0.5 }, echoGain: echoGainFor(both, room, activeRms(user), 0) };
  // The whole run: every frame handed on, the run's first held back no longer than its search (at most the filter's 400 ms hold).
  const whole = await simulateEcho({ ...base, durationMs: arrivesMs + 1000 });
  const total = Math.round((arrivesMs + 1000) * 16);
  assert.equal(whole.canceller.heldBackSamples, 0);
  // Every sample the simulated client sent (whole 20 ms chunks) came out.
  assert.equal(whole.canceller.outputSamples, Math.floor(total / 320) * 320);
  // (The answer begins with some 40 ms of espeak-ng's silence: the run's sound, and the hold, come that much later.)
  const heldMs = whole.heldBackMs(Math.round((arrivesMs + 60) * 16));
  assert.ok(heldMs > 0 && heldMs <= 400, `the frame 60 ms after the echo arrived held back ${heldMs} ms`);
  assert.equal(whole.heldBackMs(Math.round((arrivesMs + 600) * 16)), 0, 'none held back once the run was found');
  assert.equal(whole.heldBackMs(Math.round((secondAtMs - 500) * 16)), 0, 'none held back before the run');
  // Stopped 90 ms after the echo arrived, within the search: held back, then flushed as it came (the microphone).
  const cut = await simulateEcho({ ...base, durationMs: arrivesMs + 90 });
  const held = cut.canceller.heldBackSamples;
  assert.ok(held > 0, 'frames held back within the search');
  const emitted = cut.canceller.outputSamples;
  const flushed = cut.canceller.flush();
  assert.equal(flushed.length, held);
  assert.equal(cut.canceller.heldBackSamples, 0);
  assert.equal(cut.canceller.outputSamples, emitted + held);
  for (let k = 0; k < flushed.length; k += 37) assert.equal(Math.round(flushed[k]! * 32768), Math.max(-32768, Math.min(32767, Math.round(cut.mic[emitted + k]! * 32768))));
});

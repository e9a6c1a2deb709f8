// EchoAudibility: whether the microphone can hear the assistant at all (a headset does not), so
// the adaptive filter is run only where there is echo worth cancelling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoAudibility } from '../../server/audio/echo/echo-audibility.js';

const dbfs = (db: number) => 32768 ** 2 * 10 ** (db / 10);

test('audible until the path bound is first known; a verdict stands while it is unknown again (between answers)', () => {
  const a = new EchoAudibility();
  for (let k = 0; k < 300; k++) assert.equal(a.frame(dbfs(-70), dbfs(-20), null), true);
  for (let k = 0; k < 300; k++) a.frame(dbfs(-65), dbfs(-20), -63 + 20 + 6);
  assert.equal(a.audible, false);
  for (let k = 0; k < 300; k++) assert.equal(a.frame(dbfs(-65), 0, null), false);
  assert.equal(a.frame(dbfs(-65), dbfs(-20), -10), true, 'a louder path shows once the bound is known');
});

test('the verdict is not judged while no reference can echo: a bound that rises between answers (the user spoke over the last one) leaves a headset a headset', () => {
  const a = new EchoAudibility();
  for (let k = 0; k < 300; k++) a.frame(dbfs(-65), dbfs(-20), -63 + 20 + 6);
  assert.equal(a.audible, false);
  // The answer is over; its tight windows age out and the loose ones of a barge-in remain (+8 dB).
  for (let k = 0; k < 100; k++) assert.equal(a.frame(dbfs(-30), 0, 8), false);
  assert.equal(a.frame(dbfs(-65), dbfs(-20), 8), true, 'under the next answer a loud bound is an echo path');
});

/** The verdict after 3 s of a -20 dBFS reference with this bound, over -65 dBFS noise (with -63 dBFS peaks for a headset). */
function verdict(boundDb: number, noisePeaks: boolean): boolean {
  const a = new EchoAudibility();
  let audible = true;
  for (let k = 0; k < 300; k++) audible = a.frame(dbfs(noisePeaks && k % 7 === 0 ? -63 : -65), dbfs(-20), boundDb);
  return audible;
}

test('a bound at the noise floor (a headset) is no echo path; one clearly above it is', () => {
  // A headset's bound is its loudest noise frame (-63) over the loudest reference (-20), plus 6 dB.
  assert.equal(verdict(-63 + 20 + 6, true), false);
  // A loudspeaker's echo 20 dB under the reference: its bound says -14 dB.
  assert.equal(verdict(-14, false), true);
});

test("a headset whose bound was measured under a quieter reference than the session's loudest is still no echo path", () => {
  // As bench:conversation's headsets showed it: the loudest noise frame (-63 dBFS) over windows whose
  // reference peaked at -25 dBFS, plus 6 dB, under a loudest reference of -20: at most -52 dBFS of
  // echo, 13 dB over the -65 floor. With a 10 dB margin that counted as an echo path and the filter ran.
  assert.equal(verdict(-63 + 25 + 6, true), false);
  // A quiet loudspeaker 18 dB over the same floor is one.
  assert.equal(verdict(-65 + 18 + 20, false), true);
});

test('a quiet noise floor does not make a faint echo count: below -60 dBFS nothing is worth cancelling', () => {
  const a = new EchoAudibility();
  let audible = true;
  // Digital silence between words (floor 0); the loudest possible echo -66 dBFS.
  for (let k = 0; k < 300; k++) audible = a.frame(0, dbfs(-20), -46);
  assert.equal(audible, false);
  for (let k = 0; k < 300; k++) audible = a.frame(0, dbfs(-20), -36);
  assert.equal(audible, true, 'the loudest possible echo at -56 dBFS is heard');
});

test('the floor is the quietest slot of the last 2 s: a user speaking does not raise it, a louder room does', () => {
  const a = new EchoAudibility();
  // Bound -37 dB under a -20 dBFS reference: echo at most -57 dBFS, 8 dB over a -65 floor.
  for (let k = 0; k < 300; k++) a.frame(k % 50 < 30 ? dbfs(-30) : dbfs(-65), dbfs(-20), -37);
  assert.equal(a.audible, false, 'speech with pauses keeps the floor');
  // The floor itself falls to -75 dBFS for more than 2 s: the same bound is now 18 dB over it.
  for (let k = 0; k < 250; k++) a.frame(dbfs(-75), dbfs(-20), -37);
  assert.equal(a.audible, true);
});

test('a few frames of digital silence (a muted track, a clip faded in from zero) do not lower the floor', () => {
  // A headset at -65 dBFS whose client sends one or two all-zero frames every 0.5 s. With the
  // quietest single frame as the floor (0), the headset's -57 dBFS bound counted as an echo.
  const a = new EchoAudibility();
  let audible = true;
  for (let k = 0; k < 300; k++) audible = a.frame(k % 50 < 2 ? 0 : dbfs(k % 7 === 0 ? -63 : -65), dbfs(-20), -63 + 20 + 6);
  assert.equal(audible, false);
  // Silence that lasts (a whole slot and more) is the floor: the same bound is then an echo.
  for (let k = 0; k < 300; k++) audible = a.frame(k % 50 < 25 ? 0 : dbfs(-65), dbfs(-20), -63 + 20 + 6);
  assert.equal(audible, true);
});

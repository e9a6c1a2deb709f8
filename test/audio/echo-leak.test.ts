import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoLeak } from '../../server/audio/echo/echo-leak.js';

// The leak (echo-leak.ts): the residual echo the onset gate expects, a high percentile of
// output/reference over frames of echo.

const REF = 1e10;
const at = (db: number) => REF * 10 ** (db / 10);

test('starts at +10 dB and comes down to the echo: fast while far above it, then slowly', () => {
  const leak = new EchoLeak();
  assert.equal(leak.db, 10);
  assert.equal(leak.residual(REF), at(10));
  leak.learn(at(-30), REF, 12);
  assert.ok(Math.abs(leak.db - 9.7) < 1e-4, `fast step: ${leak.db}`);
  for (let i = 0; i < 2000 && leak.db > -30; i++) leak.learn(at(-30), REF, 12);
  assert.ok(Math.abs(leak.db + 30) < 1e-4, `reaches the echo: ${leak.db}`);
  leak.learn(at(-35), REF, 12);
  assert.ok(Math.abs(leak.db + 30.03) < 1e-4, `slow step within 10 dB below: ${leak.db}`);
});

test('a frame above it within the margin raises it 0.3 dB; one past the margin (the user) only creeps it up', () => {
  const leak = new EchoLeak();
  for (let i = 0; i < 2000 && leak.db > -30; i++) leak.learn(at(-30), REF, 12);
  leak.learn(at(-25), REF, 12);
  assert.ok(Math.abs(leak.db + 29.7) < 1e-4, `within the margin: ${leak.db}`);
  leak.learn(at(0), REF, 12);
  assert.ok(Math.abs(leak.db + 29.65) < 1e-4, `past the margin: ${leak.db}`);
  // The steps never pass the frame itself.
  leak.learn(at(-29.6), REF, 12);
  assert.ok(Math.abs(leak.db + 29.6) < 1e-4, `capped at the frame's ratio: ${leak.db}`);
});

test('restart raises it 8 dB, forget goes back up to the path bound (+10 dB unknown), capAt brings it down to the bound, restore sets it', () => {
  const leak = new EchoLeak();
  for (let i = 0; i < 2000 && leak.db > -40; i++) leak.learn(at(-40), REF, 12);
  leak.restart();
  assert.ok(Math.abs(leak.db + 32) < 1e-4);
  leak.forget(-20);
  assert.equal(leak.db, -20);
  leak.forget(-50);
  assert.equal(leak.db, -20, 'forgetting never lowers it');
  leak.forget(null);
  assert.equal(leak.db, 10);
  leak.capAt(-12);
  assert.equal(leak.db, -12);
  leak.capAt(0);
  assert.equal(leak.db, -12, 'a cap above it changes nothing');
  leak.restore(-33);
  assert.equal(leak.db, -33);
  for (let i = 0; i < 5000; i++) leak.learn(0, REF, 12);
  assert.equal(leak.db, -80, 'floored at -80 dB');
});

test('a frame the caller knows holds a near-end voice only creeps it up, however close; faster steps where asked (the early filter\'s)', () => {
  const leak = new EchoLeak();
  for (let i = 0; i < 2000 && leak.db > -30; i++) leak.learn(at(-30), REF, 12);
  leak.learn(at(-28), REF, 12, true);
  assert.ok(Math.abs(leak.db + 29.95) < 1e-4, `near end, 2 dB over: creeps 0.05: ${leak.db}`);
  leak.learn(at(-28), REF, 12);
  assert.ok(Math.abs(leak.db + 29.65) < 1e-4, `echo, 2 dB over: steps 0.3: ${leak.db}`);
  leak.learn(at(-35), REF, 12, true);
  assert.ok(Math.abs(leak.db + 29.68) < 1e-4, `under it, a near-end frame still brings it down: ${leak.db}`);
  const fast = new EchoLeak({ upDb: 1, downDb: 0.1, fastDownDb: 1 });
  fast.learn(at(-30), REF, 12);
  assert.ok(Math.abs(fast.db - 9) < 1e-4, `fast step: ${fast.db}`);
});

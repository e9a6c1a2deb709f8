// The early filter's word for the gate (early-echo.ts): it finds the echo's delay on its own within
// a second, learns again at that delay from the echo heard before, then vouches for frames; the
// echo alone stays within what it expects, a user over the echo stands clear of it; it stands
// down when the echo moves or a new run of playback starts, and only witnesses once the canceller
// has distrusted its filter (vouching again once proven anew) or SpeexDSP has learnt the room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { EarlyEcho } from '../../server/audio/echo/early-echo.js';
import { meanSquare } from '../../server/audio/echo/frame-energy.js';
import { EchoModels } from '../../server/audio/echo/echo-models.js';
import { OnsetGate } from '../../server/audio/echo/onset-gate.js';
import { echoScene, micFrame, noEspeak } from '../support/echo-fixture.js';
import { ROOMS } from '../support/room.js';
const FRAME = 160;
/** The gate's onset margin for the early filter (onset-gate.ts: EARLY_ONSET_MARGIN). */
const ONSET = 10 ** (9 / 10);

interface Options {
  /** The user (0 dB re the echo) from this ms, or never. */
  userAtMs?: number;
  /** The client ran dry this long at this ms: the rest of the echo comes that much later. */
  underrun?: { atMs: number; gapMs: number };
  /** The canceller distrusts its filter from this ms on (until distrustUntilMs, or the end). */
  distrustAtMs?: number;
  distrustUntilMs?: number;
  /** SpeexDSP's leak and its linear output's (dB re the loudest reference), from this ms on (0 dB before). */
  mainLeak?: { atMs: number; db: number; linearDb: number };
  /** The canceller's locked delay, ms (none: the early filter finds its own and cannot have the reading moved). */
  lockedDelayMs?: number;
  /** As the canceller, read the reference where the early filter found the echo went (FilterTrust.echoFoundLater). */
  followMoves?: boolean;
}

interface Frame {
  ms: number;
  residual: number;
  expected: number;
  user: number;
  echo: number;
  witness: boolean;
}

function run(room: (typeof ROOMS)[number], o: Options): { frames: Frame[]; early: EarlyEcho; moves: { ms: number; samples: number }[] } {
  const scene = echoScene(room);
  if (o.underrun) {
    const at = o.underrun.atMs * 16;
    const moved = new Float32Array(scene.echo.length + o.underrun.gapMs * 16);
    moved.set(scene.echo.subarray(0, at));
    moved.set(scene.echo.subarray(at), at + o.underrun.gapMs * 16);
    scene.echo = moved;
  }
  const early = new EarlyEcho(scene.reference, 500);
  const frames: Frame[] = [];
  const mic = new Int16Array(FRAME);
  const userFrom = o.userAtMs === undefined ? Number.POSITIVE_INFINITY : o.userAtMs * 16;
  const moves: { ms: number; samples: number }[] = [];
  let skipped = 0;
  for (let f = 0; f < Math.floor(scene.echo.length / FRAME); f++) {
    const { user: userEnergy, echo: echoEnergy } = micFrame(scene, f, userFrom, mic);
    const ms = f * 10;
    const learnt = o.mainLeak && ms >= o.mainLeak.atMs ? o.mainLeak : null;
    early.frame({
      mic,
      micEnergy: meanSquare(mic),
      refPos: f * FRAME - skipped,
      active: f * FRAME <= scene.answer.length + room.delayMs * 16,
      lockedDelayMs: o.lockedDelayMs ?? null,
      mainLeakDb: learnt ? learnt.db : 0,
      // Energies on the leaks' scale: the loudest reference 1, the linear output at its leak.
      mainLinearEnergy: 10 ** ((learnt ? learnt.linearDb : 0) / 10),
      loudestReference: 1,
      mainTrusted: o.distrustAtMs === undefined || ms < o.distrustAtMs || ms >= (o.distrustUntilMs ?? Number.POSITIVE_INFINITY),
    });
    frames.push({ ms, residual: early.residual, expected: early.expected, user: userEnergy, echo: echoEnergy, witness: early.witnessing });
    const move = early.foundMove;
    if (move) moves.push({ ms, samples: move.samples });
    if (move && o.followMoves) skipped += move.samples;
  }
  return { frames, early, moves };
}

// Measured: usable 0.79-0.98 s into the answer (office and far rooms 1.48 and 1.41 s when the
// filter, placed at the delay found, learnt only from the frames after); the echo alone over the
// onset margin in 0-2% of usable frames, a user at 0 dB in most.
test('it finds the delay and vouches within 1.1 s, having learnt again from the echo before it was placed; the echo alone stays within the onset margin, the user over it does not', { skip: noEspeak }, () => {
  for (const room of ROOMS) {
    const alone = run(room, {}).frames;
    const usableFrom = alone.find((f) => f.expected > 0)?.ms;
    assert.ok(usableFrom !== undefined && usableFrom <= 1100, `${room.name}: usable from ${usableFrom} ms`);
    const judged = alone.filter((f) => f.expected > 0 && f.echo > 1e-4 * FRAME);
    const over = judged.filter((f) => f.residual > f.expected * ONSET).length;
    assert.ok(judged.length > 150 && over / judged.length < 0.03, `${room.name}: echo alone over the margin in ${over} of ${judged.length} frames`);
    const withUser = run(room, { userAtMs: 2000 }).frames.filter((f) => f.expected > 0 && f.user > f.echo);
    const heard = withUser.filter((f) => f.residual > f.expected * ONSET).length;
    assert.ok(withUser.length > 30 && heard / withUser.length > 0.5, `${room.name}: the user over the margin in ${heard} of ${withUser.length} frames`);
  }
});

// Measured: the far room's user from 1.0 s, its frames louder than the echo in the 300 ms after:
// 17 of 19 over the margin (it had stopped vouching 30 ms in: 0 of 19).
test('a user beginning faint under the echo, just after it vouches (the far room 1.0 s in): it goes on vouching, and hears the user clear of the echo once louder than it', { skip: noEspeak }, () => {
  const room = ROOMS[2]!;
  const frames = run(room, { userAtMs: 1000 }).frames.filter((f) => f.ms >= 1000 && f.ms < 1300 && f.user > f.echo);
  const heard = frames.filter((f) => f.expected > 0 && f.residual > f.expected * ONSET).length;
  assert.ok(frames.length > 10 && heard / frames.length > 0.5, `the user over the margin in ${heard} of ${frames.length} frames`);
});

test('the echo moved 30 ms (an underrun the server never saw) before the canceller has locked its delay (it cannot move its reading): it stands down before vouching for the moved echo', { skip: noEspeak }, () => {
  for (const room of ROOMS) {
    const { frames, early } = run(room, { underrun: { atMs: 2500, gapMs: 30 } });
    assert.equal(early.retired, true, `${room.name}: still vouching`);
    const afterGap = frames.filter((f) => f.ms >= 2500 && f.expected > 0 && f.residual > f.expected * ONSET);
    assert.deepEqual(afterGap.map((f) => f.ms), [], `${room.name}: the moved echo over the margin`);
  }
});

// Measured: found 30-60 ms after the gap, to the sample (23 and 41 ms: 368 and 656 samples).
test('the echo moved 23-41 ms with the canceller locked: it finds the move to 2 samples within 100 ms, vouches again once the reading moves there (the echo alone within the margin, a user over it), and stands down where the reading does not move', { skip: noEspeak }, () => {
  for (const room of ROOMS) {
    for (const gapMs of [23, 30, 41]) {
      const name = `${room.name}, ${gapMs} ms`;
      const underrun = { atMs: 2500, gapMs };
      const followed = run(room, { underrun, lockedDelayMs: room.delayMs, followMoves: true });
      assert.equal(followed.moves.length, 1, `${name}: moves ${JSON.stringify(followed.moves)}`);
      const move = followed.moves[0]!;
      assert.ok(Math.abs(move.samples - gapMs * 16) <= 2, `${name}: found ${move.samples} samples`);
      const echoBackMs = underrun.atMs + room.delayMs + gapMs;
      assert.ok(move.ms <= echoBackMs + 100, `${name}: found at ${move.ms} ms, the echo back at ${echoBackMs}`);
      const after = followed.frames.filter((f) => f.ms > move.ms && f.expected > 0 && f.echo > 1e-4 * FRAME);
      const over = after.filter((f) => f.residual > f.expected * ONSET).length;
      assert.ok(after.length > 100 && over / after.length < 0.03, `${name}: the echo alone over the margin in ${over} of ${after.length} frames after the move`);
      const withUser = run(room, { underrun, lockedDelayMs: room.delayMs, followMoves: true, userAtMs: echoBackMs + 300 }).frames.filter((f) => f.ms > move.ms && f.expected > 0 && f.user > f.echo);
      const heard = withUser.filter((f) => f.residual > f.expected * ONSET).length;
      assert.ok(withUser.length > 30 && heard / withUser.length > 0.5, `${name}: the user over the margin in ${heard} of ${withUser.length} frames`);
      const unfollowed = run(room, { underrun, lockedDelayMs: room.delayMs });
      assert.equal(unfollowed.frames.filter((f) => f.ms > move.ms && f.expected > 0).length, 0, `${name}: vouching on at the old reading`);
    }
  }
});

/** Frames it vouches for, the echo heard, over the onset margin (the echo alone there would start speech), and how many it vouched for. */
function overMargin(frames: Frame[], fromMs: number): { over: number; vouched: number } {
  const vouched = frames.filter((f) => f.ms >= fromMs && f.expected > 0 && f.echo > 1e-4 * FRAME);
  return { over: vouched.filter((f) => f.residual > f.expected * ONSET).length, vouched: vouched.length };
}

// Measured: vouching again 2.22 s in (100 ms after the distrust ended), the echo alone then over the
// margin in 0 of 658 frames; the echo moved 300 ms: vouched for none.
test('the canceller distrusting its filter: a witness only from then on, it vouches for nothing meanwhile, then again once it has proven itself anew where the echo did not move, and never where the echo went out of its reach', { skip: noEspeak }, () => {
  const room = ROOMS[1]!;
  const distrusted = run(room, { distrustAtMs: 2000 });
  assert.equal(distrusted.early.retired, false);
  assert.equal(distrusted.frames.filter((f) => f.ms >= 2000 && f.expected > 0).length, 0, 'vouched while distrusted');
  // SpeexDSP distrusted for 120 ms where the echo came back after a pause, nothing moved.
  const brief = run(room, { distrustAtMs: 2000, distrustUntilMs: 2120 });
  assert.equal(brief.early.witnessing, true);
  assert.equal(brief.frames.find((f) => f.witness)?.ms, 2000, 'a witness from the distrust');
  const again = brief.frames.find((f) => f.ms >= 2120 && f.expected > 0)?.ms;
  assert.ok(again !== undefined && again <= 2500, `vouching again at ${again} ms`);
  const after = overMargin(brief.frames, again);
  assert.ok(after.vouched > 300 && after.over / after.vouched < 0.03, `the echo alone over the margin in ${after.over} of ${after.vouched} frames`);
  // The client ran dry 300 ms (past the 55 ms it searches) and the canceller, distrusting its filter
  // for 200 ms, did not move its reading: the echo is out of the early filter's reach.
  const jumped = run(room, { underrun: { atMs: 2500, gapMs: 300 }, lockedDelayMs: room.delayMs, distrustAtMs: 2500 + room.delayMs + 300, distrustUntilMs: 2500 + room.delayMs + 500 });
  const moved = overMargin(jumped.frames, 2500 + room.delayMs + 300);
  assert.equal(moved.vouched, 0, `vouched for ${moved.vouched} frames of the moved echo, ${moved.over} over the margin`);
});

// Measured (SpeexDSP's leak and linear output at -30 dB from 2 s): a witness from 2.99 s in the four
// rooms; the echo alone over the margin in 0 of 479-561 frames it vouched for after 4 s, a user at
// 0 dB from 5 s over it in 63-85% of the frames where it is louder than the echo.
test('once SpeexDSP has learnt the room it only witnesses, learning by NLMS: it goes on explaining the echo alone, and leaves a user over it clear', { skip: noEspeak }, () => {
  for (const room of ROOMS) {
    const mainLeak = { atMs: 2000, db: -30, linearDb: -30 };
    const learnt = run(room, { mainLeak });
    const witnessFrom = learnt.frames.find((f) => f.witness)?.ms;
    assert.ok(witnessFrom !== undefined && witnessFrom <= 3200, `${room.name}: a witness from ${witnessFrom} ms`);
    assert.equal(learnt.early.retired, false, `${room.name}: retired`);
    const alone = overMargin(learnt.frames, 4000);
    assert.ok(alone.vouched > 300 && alone.over / alone.vouched < 0.03, `${room.name}: the echo alone over the margin in ${alone.over} of ${alone.vouched} frames`);
    const withUser = run(room, { mainLeak, userAtMs: 5000 }).frames.filter((f) => f.ms >= 5000 && f.expected > 0 && f.user > f.echo);
    const heard = withUser.filter((f) => f.residual > f.expected * ONSET).length;
    assert.ok(withUser.length > 30 && heard / withUser.length > 0.5, `${room.name}: the user over the margin in ${heard} of ${withUser.length} frames`);
  }
  // The leak is learnt from the suppressed output, which hides a young filter: the near room's
  // SpeexDSP, its leak at -30 dB, left its linear output at -20 dB (the echo only 8-10 dB down).
  // The early filter learns on by RLS until its time (8 s of echo) is up (measured: 7.99 s).
  const shallow = run(ROOMS[1]!, { mainLeak: { atMs: 2000, db: -30, linearDb: -20 } });
  const shallowFrom = shallow.frames.find((f) => f.witness)?.ms;
  assert.ok(shallowFrom === undefined || shallowFrom >= 7900, `a witness from ${shallowFrom} ms`);
});

test('a new run of playback (the rest after a stall, a new answer): it stands down', { skip: noEspeak }, () => {
  const reference = new EchoReference({ originMs: 0, capacityMs: 30_000, energyHistoryMs: 30_000 });
  const answer = echoScene(ROOMS[0]!).answer.subarray(0, 32000);
  reference.sent(answer, 16000, 0);
  const early = new EarlyEcho(reference, 500);
  const mic = new Int16Array(FRAME).fill(100);
  const frame = (f: number, active = true) => early.frame({ mic, micEnergy: 1e4, refPos: f * FRAME, active, lockedDelayMs: 100, mainLeakDb: 0, mainLinearEnergy: 1e4, loudestReference: 1e4, mainTrusted: true });
  frame(0, false);
  assert.equal(early.holdsFilter, false, 'no filter before the first echo');
  for (let f = 0; f < 100; f++) frame(f);
  assert.equal(early.retired, false);
  assert.equal(early.holdsFilter, true);
  // The next answer, 3 s later: a new run.
  reference.sent(answer, 16000, 5000);
  frame(100);
  assert.equal(early.retired, true);
});

test('echo the models do not run on (the canceller bypassed, a headset): the early filter stands down; without SpeexDSP there is none', () => {
  const reference = new EchoReference({ originMs: 0, capacityMs: 5000 });
  reference.sent(new Float32Array(16000).fill(0.1), 16000, 0);
  const evidence = new OnsetGate(10, 4).next;
  const mic = new Int16Array(FRAME).fill(100);
  const frame = (models: EchoModels, f: number, modelled: boolean) =>
    models.frame({ mic, micEnergy: 1e4, now: f, frameIndex: f, modelled, active: true, filterHearsNoEcho: false, refPos: f * FRAME, lockedDelayMs: null, leakDb: 0, linearEnergy: 1e4, loudestReference: 1e4 }, evidence);
  const models = new EchoModels(reference, 500, true);
  for (let f = 0; f < 10; f++) frame(models, f, true);
  assert.notEqual(models.earlyLeakDb, null, 'running');
  frame(models, 10, false);
  assert.equal(models.earlyLeakDb, null, 'stood down');
  const gateOnly = new EchoModels(reference, 500, false);
  frame(gateOnly, 0, true);
  assert.equal(gateOnly.earlyLeakDb, null);
  assert.equal(evidence.earlyExpected, 0);
});

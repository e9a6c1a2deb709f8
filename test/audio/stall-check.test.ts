import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StallCheck, type StallFrame } from '../../server/audio/echo/stall-check.js';

// The verdict on a silence the reference placed for a stall (stall-check.ts), from the share of
// each loud frame the filter explains read as placed and read past the silence. The shares here
// are scripted; shadow-echo.test.ts tests the judge itself.

const GAP_SAMPLES = 300 * 16;
const LOUD = 1e6;
const FLOOR = 100;

function frame(echoBlock: number, micEnergy = LOUD): StallFrame {
  return { echoBlock, micEnergy, noiseFloor: FLOOR, filterRan: true, filterLeadBlocks: 4 };
}

function started(): StallCheck {
  const check = new StallCheck(160);
  check.newRun({ start: 1000 * 160, samples: GAP_SAMPLES, lastSoundBefore: 1000 * 160 - 5, afterCut: false });
  assert.equal(check.pending, true);
  return check;
}

test('two loud frames explained past the silence and not as placed skip it, once; the filter then settles before its word counts', () => {
  const check = started();
  const asked: number[] = [];
  const playedOn = (skip: number) => (asked.push(skip), skip > 0 ? 0.95 : 0.02);
  assert.equal(check.frame(frame(999), playedOn), 0, 'before the silence');
  assert.deepEqual(asked, [], 'nothing is judged before the silence');
  assert.equal(check.frame(frame(1000), playedOn), 0);
  assert.equal(check.frame(frame(1001), playedOn), GAP_SAMPLES);
  assert.deepEqual(asked, [0, GAP_SAMPLES, 0, GAP_SAMPLES]);
  assert.equal(check.pending, false);
  assert.equal(check.skipped, 1);
  // lead 4 + 2 votes + 3 slack frames of settling, counted down by the frames that follow.
  let settling = 0;
  while (check.settling) {
    assert.equal(check.frame(frame(1002 + settling), playedOn), 0);
    settling++;
  }
  assert.equal(settling, 9);
  // stop() ends a settling too (the filter stopped, say): it must not hold the gate for good.
  const stopped = started();
  stopped.frame(frame(1000), playedOn);
  stopped.frame(frame(1001), playedOn);
  assert.equal(stopped.settling, true);
  stopped.stop();
  assert.equal(stopped.settling, false);
});

test('only a stall within an answer is tested: not the silence before an answer, after a cut, or longer than 500 ms', () => {
  const check = new StallCheck(160);
  const stall = { start: 160_000, samples: 300 * 16, lastSoundBefore: 159_000, afterCut: false };
  check.newRun(stall);
  assert.equal(check.pending, true);
  check.newRun({ ...stall, lastSoundBefore: -1 });
  assert.equal(check.pending, false, 'nothing played before it');
  check.newRun({ ...stall, afterCut: true });
  assert.equal(check.pending, false, 'after a cut');
  check.newRun({ ...stall, samples: 501 * 16 });
  assert.equal(check.pending, false, 'longer than 500 ms');
  check.newRun({ ...stall, samples: 500 * 16 });
  assert.equal(check.pending, true, '500 ms');
});

test('frames of the run after the silence explained as placed end the test with no skip; neither reading (the user), quiet frames and frames the filter skipped say nothing', () => {
  const user = () => 0.03;
  const check = started();
  for (let b = 1000; b < 1010; b++) {
    assert.equal(check.frame(frame(b), user), 0);
    assert.equal(check.unexplained, true, 'new sound neither reading explains');
  }
  assert.equal(check.frame(frame(1010, FLOOR * 5), () => assert.fail('a quiet frame was judged')), 0);
  assert.equal(check.frame({ ...frame(1011), filterRan: false }, () => assert.fail('a frame without the filter was judged')), 0);
  assert.equal(check.pending, true, 'still undecided');
  // One frame each way in turn decides nothing.
  for (let b = 1012; b < 1018; b++) {
    const pastExplains = b % 2 === 0;
    assert.equal(check.frame(frame(b), (skip: number): number => ((skip > 0) === pastExplains ? 0.9 : 0.1)), 0);
  }
  assert.equal(check.pending, true);
  const ranDry = (skip: number) => (skip > 0 ? 0.05 : 0.93);
  // Within the silence, the reading as placed explains the room's tail of what came before it,
  // whatever the client did next: a client that played part of it through must not be taken for one that ran dry.
  for (let b = 1018; b < 1030; b++) {
    assert.equal(check.frame(frame(b), ranDry), 0);
    assert.equal(check.unexplained, false);
  }
  assert.equal(check.pending, true, 'the tail decides nothing');
  assert.equal(check.frame(frame(1030), ranDry), 0);
  assert.equal(check.frame(frame(1031), ranDry), 0);
  assert.equal(check.pending, false, 'decided: ran dry');
  assert.equal(check.settling, false);
});

test('a part of the silence found played through (by the search: stall-watch.ts) ends the test as a skip, and the filter settles', () => {
  const check = started();
  assert.deepEqual(check.silence, { startBlock: 1000, samples: GAP_SAMPLES });
  check.foundBySearch(4);
  assert.equal(check.pending, false);
  assert.equal(check.silence, null);
  assert.equal(check.skipped, 1);
  let settling = 0;
  while (check.settling) {
    check.frame(frame(1040 + settling), () => 0);
    settling++;
  }
  assert.equal(settling, 9, 'lead 4 + 2 + 3 slack');
});

test('a reading explains only when it beats the other clearly; the test gives up after 60 judged frames or 2 s past the silence', () => {
  const close = started();
  for (let b = 1000; b < 1020; b++) assert.equal(close.frame(frame(b), (skip) => (skip > 0 ? 0.7 : 0.5)), 0, 'within 0.3 of each other');
  const busy = started();
  for (let b = 1000; b < 1060; b++) busy.frame(frame(b), () => 0);
  assert.equal(busy.pending, true);
  busy.frame(frame(1060), () => assert.fail('a 61st frame was judged'));
  assert.equal(busy.pending, false, 'given up after 60 judged frames');
  const late = started();
  late.frame(frame(1000 + 30 + 200 + 1), () => assert.fail('judged past the watch'));
  assert.equal(late.pending, false);
});

test('the first frame holding the echo of the run after the silence says so once, quiet or not (the canceller raises the leak then)', () => {
  const check = started();
  const unsure = () => 0.3;
  const arrived: number[] = [];
  // The silence is 30 blocks (300 ms) from block 1000: the run's echo first comes at block 1030.
  for (let b = 995; b < 1040; b++) {
    check.frame(frame(b, b === 1030 ? FLOOR : LOUD), unsure);
    if (check.runArrived) arrived.push(b);
  }
  assert.deepEqual(arrived, [1030]);
  check.newRun({ start: 2000 * 160, samples: 160, lastSoundBefore: 2000 * 160 - 5, afterCut: false });
  check.frame(frame(2001), unsure);
  assert.equal(check.runArrived, true, 'the next silence: its run arrives too');
});

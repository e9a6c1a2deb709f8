import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoLeak } from '../../server/audio/echo/echo-leak.js';
import { FilterTrust, type FilterFrame } from '../../server/audio/echo/filter-trust.js';
import type { EchoPathBound } from '../../server/audio/echo/echo-path-bound.js';
import type { ReferenceClock } from '../../server/audio/echo/reference-clock.js';
import type { EchoReference } from '../../server/audio/echo/reference.js';

// Whether the adaptive filter is aligned (filter-trust.ts): the evidence each frame gives, the
// hold when the echo goes missing after a distrust, and what a long distrust forgets. Frames are
// given as energies; the canceller tests run it on real rooms with SpeexDSP (echo-canceller.test.ts,
// echo-stalls.test.ts, echo-underruns.test.ts), and echo-realign.test.ts / shadow-echo.test.ts test the search it starts.

const FRAME = 160;

function setup() {
  const calls = { forgets: 0, skips: [] as number[], heard: 0, readings: [] as number[] };
  const leak = new EchoLeak();
  const pathBound = { boundDb: -20 as number | null, forget: () => { calls.forgets++; } };
  const trust = new FilterTrust({
    frameSamples: FRAME,
    reference: {} as EchoReference,
    clock: { skipStall: (n: number) => calls.skips.push(n) } as unknown as ReferenceClock,
    leak,
    pathBound: pathBound as unknown as EchoPathBound,
    response: () => new Int32Array(4800).fill(1),
    hearAgain: (_frame, readFrom) => {
      calls.heard++;
      calls.readings.push(readFrom);
    },
  });
  return { trust, leak, calls, pathBound };
}

const MIC = 1e6;
/** A frame where the filter takes the echo out (aligned), or adds its estimate (misaligned); `missing`: its estimate far over the microphone (the echo did not come). */
const aligned: FilterFrame = { micEnergy: MIC, outputEnergy: MIC * 0.01, estimateEnergy: MIC, passesAlone: 0, noiseFloor: 100, locked: true };
const misaligned: FilterFrame = { ...aligned, outputEnergy: MIC * 2, estimateEnergy: MIC };
const missing: FilterFrame = { ...aligned, outputEnergy: MIC * 20, estimateEnergy: MIC * 20 };

test('two misaligned frames in a row distrust the filter, three aligned trust it again; frames that say nothing keep the state', () => {
  const { trust } = setup();
  assert.equal(trust.judge(0, misaligned), true, 'one frame is not enough');
  assert.equal(trust.judge(1, misaligned), false);
  assert.equal(trust.judge(2, { ...misaligned, outputEnergy: MIC }), false, 'output equal to the microphone says nothing');
  assert.equal(trust.judge(3, { ...misaligned, micEnergy: 5 }), false, 'silence says nothing');
  assert.equal(trust.judge(4, { ...misaligned, passesAlone: MIC * 2 }), false, 'the microphone would not pass the gate anyway');
  assert.equal(trust.judge(5, { ...misaligned, noiseFloor: MIC }), false, 'at the noise floor with little estimated');
  assert.equal(trust.judge(6, aligned), false);
  assert.equal(trust.judge(7, aligned), false);
  assert.equal(trust.judge(8, aligned), true);
  assert.equal(trust.holdThisFrame(), false, 'a distrust with the echo there is no hold');
});

test('a distrust that lasts 100 ms forgets the path bound at once, and the leak when trusted again', () => {
  const { trust, leak, calls } = setup();
  for (let i = 0; i < 400; i++) leak.learn(MIC * 1e-4, MIC, 12);
  const learnt = leak.db;
  trust.judge(0, misaligned);
  trust.judge(1, misaligned);
  for (let f = 1; f <= 11; f++) {
    if (f > 1) trust.judge(f, misaligned);
    assert.equal(trust.endFrame(f, true, false, MIC, 100), f === 11, `frame ${f}`);
  }
  assert.equal(calls.forgets, 1);
  for (let f = 12; f < 15; f++) trust.judge(f, aligned);
  assert.equal(trust.trusted, true);
  assert.equal(leak.db, -20, `the leak (${learnt} dB) goes back up to the bound`);
});

test('the echo gone missing right after a distrust holds the filter; the bound waits for it to run again', () => {
  const { trust, calls } = setup();
  trust.judge(0, missing);
  trust.judge(1, missing);
  assert.equal(trust.trusted, false);
  const heldFrames: boolean[] = [];
  for (let f = 2; f < 60; f++) {
    const held = trust.holdThisFrame();
    heldFrames.push(held);
    trust.record(new Int16Array(FRAME), 10_000 + f * FRAME, held);
    // Quiet microphone: no search is due (nothing loud to explain), so the hold runs out.
    trust.endFrame(f, !held, held, 50, 100);
    if (!held) trust.judge(f, misaligned);
  }
  const holdLength = heldFrames.indexOf(false);
  assert.ok(holdLength >= 30 && holdLength <= 40, `held for ${holdLength} frames`);
  assert.ok(calls.heard > 0 && calls.heard <= 40, `the frames held were heard again as placed (${calls.heard})`);
  assert.equal(calls.forgets, 1, 'the bound is forgotten once, when the filter runs again');
  assert.deepEqual(calls.skips, [], 'nothing found, nothing skipped');
});

test('the echo gone missing just before a distrust (frames too quiet to say anything of the filter) holds the filter too: the distrust came as it came back late', () => {
  // A short underrun in a pause of the answer: the gap's frames, under what passes the gate alone,
  // gave no evidence; the echo came back late and distrusted the filter, never missing after.
  const gone = (estimateOverMicDb: number) => ({ ...aligned, micEnergy: 300, outputEnergy: 300 * 10 ** (estimateOverMicDb / 10), estimateEnergy: 300 * 10 ** (estimateOverMicDb / 10), passesAlone: MIC });
  const late = setup().trust;
  late.judge(0, gone(16));
  assert.equal(late.trusted, true, 'the quiet frame says nothing');
  late.judge(5, misaligned);
  late.judge(6, misaligned);
  assert.equal(late.trusted, false);
  assert.equal(late.holdThisFrame(), true, 'held: the echo is searched for');
  // A drifting clock's filter predicts a word's start a few ms early, 9-11 dB over the microphone: no hold.
  const drift = setup().trust;
  drift.judge(0, gone(11));
  drift.judge(5, misaligned);
  drift.judge(6, misaligned);
  assert.equal(drift.holdThisFrame(), false, '11 dB over');
  // Long before the distrust (over 100 ms): no hold.
  const old = setup().trust;
  old.judge(0, gone(16));
  old.judge(15, misaligned);
  old.judge(16, misaligned);
  assert.equal(old.holdThisFrame(), false, '160 ms before');
});

test('before the delay is locked a distrust holds nothing (a young filter is no room to search with)', () => {
  const { trust } = setup();
  trust.judge(0, { ...missing, locked: false });
  trust.judge(1, { ...missing, locked: false });
  assert.equal(trust.trusted, false);
  assert.equal(trust.holdThisFrame(), false);
});

test('a distrust while a new answer is placed (its run searched for) forgets the bound only once the search is over without a move; a move found meanwhile forgets nothing', () => {
  const distrustedWhilePlacing = (placingUntil: number, moveAt?: number) => {
    const { trust, calls } = setup();
    const forgotAt: number[] = [];
    trust.judge(0, misaligned);
    trust.judge(1, misaligned);
    for (let f = 1; f <= 30; f++) {
      if (f === moveAt) trust.readingMoved(f, 13, 5);
      else if (f > 1 && !trust.trusted) trust.judge(f, misaligned);
      if (trust.endFrame(f, true, false, MIC, 100, f < placingUntil)) forgotAt.push(f);
    }
    return { forgotAt, forgets: calls.forgets };
  };
  assert.deepEqual(distrustedWhilePlacing(0), { forgotAt: [11], forgets: 1 }, 'not placing: at 100 ms');
  assert.deepEqual(distrustedWhilePlacing(20), { forgotAt: [20], forgets: 1 }, 'placing until frame 20: as it ends');
  assert.deepEqual(distrustedWhilePlacing(20, 15), { forgotAt: [], forgets: 0 }, 'the run found where it plays at frame 15');
});

test('the echo is missing in a frame whose estimate stands 13 dB over the microphone and 6 dB over the noise, trusted or not; only in that frame', () => {
  const { trust } = setup();
  trust.judge(0, aligned);
  assert.equal(trust.echoMissingIn(0), false, 'the estimate as loud as the microphone');
  trust.judge(1, { ...missing, micEnergy: MIC / 30, noiseFloor: MIC / 30 });
  assert.equal(trust.echoMissingIn(1), true);
  assert.equal(trust.echoMissingIn(2), false, 'not judged yet');
  trust.judge(2, { ...missing, micEnergy: MIC / 30, estimateEnergy: MIC / 10, noiseFloor: MIC / 30 });
  assert.equal(trust.echoMissingIn(2), false, '5 dB over the microphone is no missing echo');
  trust.judge(3, misaligned);
  trust.judge(4, misaligned);
  assert.equal(trust.trusted, false);
  trust.judge(5, { ...missing, micEnergy: 1000, noiseFloor: 1000 });
  assert.equal(trust.echoMissingIn(5), true, 'distrusted too');
  trust.judge(6, { ...missing, micEnergy: 1000, estimateEnergy: 3000, noiseFloor: 1000 });
  assert.equal(trust.echoMissingIn(6), false, 'within 6 dB of the noise floor');
});

test('a reading moved while distrusted (a stall found played through) replays the frames since the silence at the new reading, keeps the leak it had, and ends the search', () => {
  const { trust: moved, leak, calls } = setup();
  for (let i = 0; i < 400; i++) leak.learn(MIC * 1e-4, MIC, 12);
  const learnt = leak.db;
  for (let f = 0; f < 5; f++) moved.record(new Int16Array(FRAME), 10_000 + f * FRAME, false);
  moved.judge(5, missing);
  moved.judge(6, missing);
  assert.equal(moved.holdThisFrame(), true, 'held: the echo went missing');
  leak.forget(null);
  moved.readingMoved(7, 800, 3);
  assert.deepEqual(calls.readings, [2, 3, 4].map((f) => 10_000 + f * FRAME + 800), 'the frames since the silence, heard again 800 samples later (those before it came as placed)');
  assert.equal(leak.db, learnt, 'the leak it had');
  assert.equal(moved.holdThisFrame(), false, 'the hold and the search are over');
  assert.equal(calls.forgets, 0);
  const { trust, calls: untouched } = setup();
  trust.readingMoved(0, 800, 3);
  assert.equal(trust.trusted, true);
  assert.equal(untouched.heard, 0, 'a trusted filter: nothing to hear again');
});

test('a move found in the very frame the filter is trusted again after a long distrust undoes the leak forgotten there: the reading moved, not the room', () => {
  // Traced: near room, a 200 ms stall the client ran dry 5 samples longer: the fine move came in the
  // frame the filter was trusted again, and the leak stayed at +10 dB (a barge-in 1.9 s late).
  const { trust, leak } = setup();
  for (let i = 0; i < 400; i++) leak.learn(MIC * 1e-4, MIC, 12);
  const learnt = leak.db;
  trust.judge(0, misaligned);
  trust.judge(1, misaligned);
  for (let f = 20; f < 23; f++) trust.judge(f, aligned);
  assert.equal(trust.trusted, true);
  assert.equal(leak.db, -20, 'trusted again 200 ms on: the leak forgotten to the bound');
  trust.readingMoved(22, 5, 3, false);
  assert.equal(leak.db, learnt, 'the move in the same frame: the leak it had');
  // A move a frame later finds the filter trusted on its own evidence: nothing undone.
  const { trust: later, leak: laterLeak } = setup();
  for (let i = 0; i < 400; i++) laterLeak.learn(MIC * 1e-4, MIC, 12);
  later.judge(0, misaligned);
  later.judge(1, misaligned);
  for (let f = 20; f < 23; f++) later.judge(f, aligned);
  later.readingMoved(23, 5, 3, false);
  assert.equal(laterLeak.db, -20);
});

test('a reading moved while the filter is trusted: distrusted as it settles (within 300 ms) and trusted again after 100 ms, it keeps its leak and is vouched for at once', () => {
  // A stall's part played through, found before the filter showed it: the distrust that follows is
  // the move settling, not a new room (small room, 100 of 200 ms: a barge-in 960 ms late).
  const { trust, leak } = setup();
  for (let i = 0; i < 400; i++) leak.learn(MIC * 1e-4, MIC, 12);
  const learnt = leak.db;
  trust.readingMoved(0, 1600, 10);
  assert.equal(trust.trusted, true);
  trust.judge(1, misaligned);
  trust.judge(2, misaligned);
  assert.equal(trust.trusted, false);
  for (let f = 13; f < 16; f++) trust.judge(f, { ...aligned, outputEnergy: MIC * 0.5 });
  assert.equal(trust.trusted, true);
  assert.equal(leak.db, learnt, 'the leak it had');
  assert.equal(trust.proven(15), true, 'vouched for at once');
  // Distrusted long after the move (over 300 ms): a new distrust, the leak forgotten when trusted again after 100 ms.
  const { trust: late, leak: lateLeak } = setup();
  for (let i = 0; i < 400; i++) lateLeak.learn(MIC * 1e-4, MIC, 12);
  late.readingMoved(0, 1600, 10);
  late.judge(40, misaligned);
  late.judge(41, misaligned);
  for (let f = 52; f < 55; f++) late.judge(f, aligned);
  assert.equal(lateLeak.db, -20);
});

test('a reading moved while distrusted trusts the filter at once; distrusted again as it settles (within 300 ms) and trusted, it is still vouched for; later, a short distrust leaves it unproven as any', () => {
  const { trust } = setup();
  trust.judge(0, misaligned);
  trust.judge(1, misaligned);
  assert.equal(trust.trusted, false);
  trust.readingMoved(2, 800, 3);
  assert.equal(trust.trusted, true, 'trusted at once: the echo was found where it plays');
  assert.equal(trust.proven(2), true);
  // Settling: distrusted, then trusted again by frames that cancel under 10 dB.
  const weak: FilterFrame = { ...aligned, outputEnergy: MIC * 0.5 };
  trust.judge(10, misaligned);
  trust.judge(11, misaligned);
  assert.equal(trust.trusted, false);
  for (let f = 12; f < 15; f++) trust.judge(f, weak);
  assert.equal(trust.trusted, true);
  assert.equal(trust.proven(15), true, 'still the filter realigned');
  // Long after the move the same is a new distrust: not vouched for until it cancels 10 dB, or for 200 ms.
  trust.judge(100, misaligned);
  trust.judge(101, misaligned);
  for (let f = 102; f < 105; f++) trust.judge(f, weak);
  assert.equal(trust.trusted, true);
  assert.equal(trust.proven(105), false);
});

/** The user speaking over the echo while the filter cancels it: the output stands over what the gate lets pass alone, below the microphone, the filter's estimate a real share of it. */
const doubleTalk: FilterFrame = { ...aligned, outputEnergy: MIC * 0.5, estimateEnergy: MIC * 0.5, passesAlone: MIC * 0.01 };

test('a distrust that comes as the user speaks over the echo (SpeexDSP adapting to the voice) forgets the bound and leak only after 500 ms, and the gate trusts the residual for its first 200 ms', () => {
  const { trust, leak, calls } = setup();
  for (let i = 0; i < 400; i++) leak.learn(MIC * 1e-4, MIC, 12);
  const learnt = leak.db;
  for (let f = 0; f < 6; f++) trust.judge(f, doubleTalk);
  trust.judge(6, misaligned);
  trust.judge(7, misaligned);
  assert.equal(trust.trusted, false);
  assert.equal(trust.doubleTalkGrace(8), true, 'just distrusted');
  assert.equal(trust.doubleTalkGrace(7 + 19), true);
  assert.equal(trust.doubleTalkGrace(7 + 20), false, 'the grace is over');
  for (let f = 8; f <= 57; f++) {
    trust.judge(f, misaligned);
    assert.equal(trust.endFrame(f, true, false, MIC, 100), f === 57, `frame ${f}`);
  }
  assert.equal(calls.forgets, 1, 'forgotten after 500 ms');
  // Trusted again sooner, it keeps the leak it had.
  const again = setup();
  for (let i = 0; i < 400; i++) again.leak.learn(MIC * 1e-4, MIC, 12);
  for (let f = 0; f < 6; f++) again.trust.judge(f, doubleTalk);
  for (let f = 6; f < 20; f++) {
    again.trust.judge(f, misaligned);
    again.trust.endFrame(f, true, false, MIC, 100);
  }
  for (let f = 20; f < 23; f++) again.trust.judge(f, aligned);
  assert.equal(again.trust.trusted, true);
  assert.equal(again.calls.forgets, 0);
  assert.equal(again.leak.db, learnt, 'the leak is kept');
});

test('a distrust with no double talk just before it (a delay jump) has no grace; one long after double talk has none either', () => {
  const { trust } = setup();
  trust.judge(0, misaligned);
  trust.judge(1, misaligned);
  assert.equal(trust.doubleTalkGrace(2), false);
  const late = setup();
  for (let f = 0; f < 6; f++) late.trust.judge(f, doubleTalk);
  for (let f = 6; f < 20; f++) late.trust.judge(f, aligned);
  late.trust.judge(20, misaligned);
  late.trust.judge(21, misaligned);
  assert.equal(late.trust.trusted, false);
  assert.equal(late.trust.doubleTalkGrace(22), false, 'the double talk ended 15 frames before');
});

test('the user heard over a new answer\'s first frames as they were heard again (heardDoubleTalk) is a double-talk run: a distrust right after has the grace; too short a run, or an untrusted filter, none', () => {
  const heard = setup();
  heard.trust.heardDoubleTalk(10, 5);
  heard.trust.judge(11, misaligned);
  heard.trust.judge(12, misaligned);
  assert.equal(heard.trust.trusted, false);
  assert.equal(heard.trust.doubleTalkGrace(13), true);
  const short = setup();
  short.trust.heardDoubleTalk(10, 4);
  short.trust.judge(11, misaligned);
  short.trust.judge(12, misaligned);
  assert.equal(short.trust.doubleTalkGrace(13), false, 'four frames: no run');
  // Four heard again and one live make the run, as five live would.
  const joined = setup();
  joined.trust.heardDoubleTalk(10, 4);
  joined.trust.judge(11, doubleTalk);
  joined.trust.judge(12, misaligned);
  joined.trust.judge(13, misaligned);
  assert.equal(joined.trust.doubleTalkGrace(14), true);
  const distrusted = setup();
  distrusted.trust.judge(0, misaligned);
  distrusted.trust.judge(1, misaligned);
  distrusted.trust.heardDoubleTalk(2, 10);
  for (let f = 3; f < 6; f++) distrusted.trust.judge(f, aligned);
  distrusted.trust.judge(6, misaligned);
  distrusted.trust.judge(7, misaligned);
  assert.equal(distrusted.trust.doubleTalkGrace(8), false, 'heard while distrusted: nothing');
});

test('trusted again within 100 ms of a distrust by frames that cancel under 10 dB, with no move found, the filter is vouched for to the gate only once it cancels 10 dB, or after 200 ms; a run with a frame that cancels well vouches at once', () => {
  const weak: FilterFrame = { ...aligned, outputEnergy: MIC * 0.4 };
  const { trust } = setup();
  trust.judge(0, misaligned);
  assert.equal(trust.judge(1, misaligned), false);
  trust.judge(2, weak);
  trust.judge(3, weak);
  assert.equal(trust.judge(4, weak), true, 'trusted again: 4 dB counts as aligned');
  assert.equal(trust.proven(4), false, 'but not proven');
  assert.equal(trust.proven(23), false);
  assert.equal(trust.proven(24), true, '200 ms on');
  trust.judge(5, weak);
  assert.equal(trust.proven(5), false);
  trust.judge(6, aligned);
  assert.equal(trust.proven(6), true, 'a frame cancelling 20 dB proves it');

  const strong = setup().trust;
  strong.judge(0, misaligned);
  strong.judge(1, misaligned);
  strong.judge(2, weak);
  strong.judge(3, aligned);
  assert.equal(strong.judge(4, weak), true);
  assert.equal(strong.proven(4), true, 'the run that trusted it had a frame cancelling 20 dB');

  // A distrust of 100 ms or more forgets the leak when trusted again: the residual it expects is honest then.
  const long = setup().trust;
  long.judge(0, misaligned);
  long.judge(1, misaligned);
  for (let f = 2; f < 12; f++) long.judge(f, { ...misaligned, micEnergy: 5 });
  long.judge(12, weak);
  long.judge(13, weak);
  assert.equal(long.judge(14, weak), true);
  assert.equal(long.proven(14), true);
});

test('just distrusted after being proven, the filter is freshly distrusted for 100 ms (a candidate it let start may be bridged); distrusted while unproven, not at all', () => {
  const { trust } = setup();
  trust.judge(0, misaligned);
  trust.judge(1, misaligned);
  assert.equal(trust.freshDistrust(1), true);
  assert.equal(trust.freshDistrust(10), true);
  assert.equal(trust.freshDistrust(11), false, '100 ms on');
  // Trusted again on frames that cancel under 10 dB, soon after: unproven (see PROVEN_BELOW).
  for (let f = 2; f < 5; f++) trust.judge(f, { ...aligned, outputEnergy: MIC * 0.5 });
  assert.equal(trust.trusted, true);
  assert.equal(trust.proven(5), false);
  trust.judge(5, misaligned);
  trust.judge(6, misaligned);
  assert.equal(trust.freshDistrust(6), false, 'it was not vouched for: nothing it let start to carry on');
});

test('frames misaligned by their energies but aligned pre-emphasised (the voices\' fundamentals met out of phase) say nothing; an estimate far over the microphone, or misaligned pre-emphasised too, still distrusts', () => {
  // Broadband: output 1.3x the microphone, estimate 0.8x; pre-emphasised: output 0.5x, estimate 0.6x.
  const chance: FilterFrame = { ...aligned, outputEnergy: MIC * 1.3, estimateEnergy: MIC * 0.8, tilted: { micEnergy: MIC, outputEnergy: MIC * 0.5, estimateEnergy: MIC * 0.6 } };
  const a = setup();
  for (let f = 0; f < 5; f++) assert.equal(a.trust.judge(f, chance), true, `frame ${f}`);
  // Misaligned pre-emphasised as well (the output over the microphone there too): a misaligned filter.
  const b = setup();
  const misalignedToo: FilterFrame = { ...chance, tilted: { micEnergy: MIC, outputEnergy: MIC * 1.5, estimateEnergy: MIC * 0.6 } };
  assert.equal(b.trust.judge(0, misalignedToo), true);
  assert.equal(b.trust.judge(1, misalignedToo), false);
  // The estimate 3x the microphone: the filter adds energy, unless pre-emphasised it cancels 10 dB (its low band alone wrong).
  const c = setup();
  const loud: FilterFrame = { ...chance, outputEnergy: MIC * 3, estimateEnergy: MIC * 3 };
  assert.equal(c.trust.judge(0, loud), true);
  assert.equal(c.trust.judge(1, loud), false);
  const lowBandWrong: FilterFrame = { ...loud, tilted: { micEnergy: MIC, outputEnergy: MIC * 0.05, estimateEnergy: MIC * 0.9 } };
  const e = setup();
  for (let f = 0; f < 5; f++) assert.equal(e.trust.judge(f, lowBandWrong), true, `frame ${f}`);
  // Pre-emphasised, an estimate that is no real share of the microphone says nothing there: the broadband evidence stands.
  const d = setup();
  const faint: FilterFrame = { ...chance, tilted: { micEnergy: MIC, outputEnergy: MIC * 0.99, estimateEnergy: MIC * 0.05 } };
  assert.equal(d.trust.judge(0, faint), true);
  assert.equal(d.trust.judge(1, faint), false);
});

test('a new answer\'s run held for until its search ends was held throughout; one whose hold ring filled first (run on as placed) was not, until the next run', () => {
  const { trust } = setup();
  const mic = new Int16Array(FRAME);
  let f = 0;
  const frame = (placing: boolean): boolean => {
    const held = trust.holdThisFrame(placing);
    trust.record(mic, f * FRAME, held);
    f++;
    return held;
  };
  for (let k = 0; k < 10; k++) assert.equal(frame(true), true);
  frame(false);
  assert.equal(trust.runHeldThroughout, true);
  for (let k = 0; k < 40; k++) assert.equal(frame(true), true, `held frame ${k}`);
  assert.equal(frame(true), false, 'the ring full (400 ms): run on as placed');
  assert.equal(trust.runHeldThroughout, false);
  frame(false);
  assert.equal(trust.runHeldThroughout, false, 'as the search ends');
  frame(true);
  assert.equal(trust.runHeldThroughout, true, 'a new run');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { StallWatch } from '../../server/audio/echo/stall-watch.js';
import { noise } from '../support/room.js';

// The search for a new answer's run where the client really plays it (stall-watch.ts): a run after
// a long silence is placed by the server's model of the client, a few ms off where it plays. With
// the real search (shadow-echo.ts) on a scripted room; the canceller around it: echo-new-run.test.ts.

const FRAME = 160;
/** A room: direct path at 50 taps, a reflection at 400, in SpeexDSP's int32 scale. */
const IR = new Int32Array(4800);
IR[50] = 20000;
IR[400] = -9000;

/**
 * A reference holding a 1 s answer from 0 ms (none when `firstRun`), a silence, and the next from
 * 2000 ms; the client begins that one `late` samples later than placed. Feeds the watch every
 * frame of the second answer's first 600 ms, and returns the moves it asked for.
 */
function secondAnswer(late: number, firstRun = false, heldForRun = false): { moves: number[]; searchedAfter: boolean; placing: boolean[]; surely: boolean; settlingAfterMove: boolean } {
  const reference = new EchoReference({ originMs: 0, capacityMs: 4000 });
  if (!firstRun) reference.sent(noise(16000, -12, 3), 16000, 0);
  const watch = new StallWatch(reference, FRAME);
  watch.watching;
  const answerAt = 32000;
  reference.sent(noise(16000, -12, 11), 16000, answerAt / 16);
  const all = new Int16Array(answerAt + 16000);
  reference.read(0, all);
  // What the microphone hears while frame `from` is read at `from`: the room over the reference as the client played it.
  const micAt = (from: number) => {
    const mic = new Int16Array(FRAME);
    for (let i = 0; i < FRAME; i++) {
      let y = 0;
      for (const k of [50, 400]) {
        const at = from + i - k - late;
        if (at >= 0 && at < all.length) y += (IR[k]! / 32768) * all[at]!;
      }
      mic[i] = Math.round(y);
    }
    return mic;
  };
  const moves: number[] = [];
  const placing: boolean[] = [];
  let skipped = 0;
  let settlingAfterMove = false;
  for (let from = answerAt; from < answerAt + 9600; from += FRAME) {
    placing.push(watch.placingRun);
    if (!watch.watching) continue;
    const mic = micAt(from + skipped);
    let energy = 0;
    for (const v of mic) energy += v * v;
    const { move } = watch.frame({ mic, micEnergy: energy / FRAME, noiseFloor: 1, filterRan: !(heldForRun && watch.placingRun), canJudge: true, playFrom: from + skipped, echoBlock: Math.floor(from / FRAME), filterLeadBlocks: 0, driftFree: true }, () => IR);
    if (move !== 0) {
      moves.push(move);
      settlingAfterMove = watch.settling;
    }
    // The canceller reads the reference that much later from the next frame on (ReferenceClock.skipStall).
    skipped += move;
  }
  return { moves, searchedAfter: watch.watching, placing, surely: watch.runPlacedSurely, settlingAfterMove };
}

test('a new answer begun a few samples or 100 ms later, or 5 ms earlier, than placed is found where it plays, once', () => {
  for (const late of [13, 1600, -80]) assert.deepEqual(secondAnswer(late).moves, [-late], `${late} samples late`);
});

test('a new answer begun where placed moves nothing, and the search ends; a session\'s first run is not searched', () => {
  const placed = secondAnswer(0);
  assert.deepEqual(placed.moves, []);
  assert.equal(placed.searchedAfter, false, 'found as placed: nothing more to watch');
  assert.deepEqual(secondAnswer(40, true).moves, [], 'no audio before it: nothing placed to be off');
});

test('while a new answer is searched for, the watch says the run is being placed (the canceller keeps those frames from the path bound), and no longer once it is found or found as placed', () => {
  for (const late of [1600, 0]) {
    const { placing } = secondAnswer(late);
    const first = placing.indexOf(true);
    assert.ok(first >= 0, `${late} samples late: never placing`);
    assert.ok(first <= 2, `${late} samples late: placing only from frame ${first}`);
    assert.equal(placing.at(-1), false, `${late} samples late: still placing at the end`);
    assert.equal(placing.lastIndexOf(true) - first + 1, placing.filter(Boolean).length, `${late} samples late: placing twice`);
  }
  assert.ok(!secondAnswer(40, true).placing.includes(true), "a session's first run is not placed");
});

test('a run found where it plays (or as placed) is found surely; the filter settles after the move unless it was held while searched for (it hears the run where found)', () => {
  const late = secondAnswer(1600);
  assert.equal(late.surely, true, 'found 100 ms late');
  assert.equal(late.settlingAfterMove, true, 'read elsewhere: the filter settles (it ran as placed meanwhile)');
  assert.equal(secondAnswer(0).surely, true, 'as placed');
  const held = secondAnswer(13, false, true);
  assert.deepEqual(held.moves, [-13]);
  assert.equal(held.settlingAfterMove, false, 'held while searched for and heard where found: nothing to settle');
});

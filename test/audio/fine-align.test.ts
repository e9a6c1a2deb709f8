import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FineAlign, type ShiftSearch } from '../../server/audio/echo/fine-align.js';

// The search for where the run after a stall really plays, a few samples from where it was placed
// (fine-align.ts). The search's answers are scripted here; shadow-echo.test.ts tests the search.

const FRAME = 160;
const LOUD = Int16Array.from({ length: FRAME }, (_, i) => (i % 2 ? 3000 : -3000));
const QUIET = new Int16Array(FRAME);

function scripted(answers: Array<{ shift: number; explained: number; asPlaced: number }>): { search: ShiftSearch; calls: Array<{ from: number; min: number; max: number; length: number }> } {
  const calls: Array<{ from: number; min: number; max: number; length: number }> = [];
  const search: ShiftSearch = (mic, from, min, max) => {
    calls.push({ from, min, max, length: mic.length });
    return answers[Math.min(calls.length - 1, answers.length - 1)]!;
  };
  return { search, calls };
}

test('a reading a few samples off that explains the run clearly better than as placed, found twice, is taken once 100 ms are heard', () => {
  const fine = new FineAlign(FRAME);
  const { search, calls } = scripted([{ shift: -5, explained: 0.92, asPlaced: 0.3 }]);
  assert.equal(fine.frame(LOUD, 0, 1, search), 0, 'not started: nothing');
  fine.start();
  const moves: number[] = [];
  for (let f = 0; f < 12; f++) moves.push(fine.frame(LOUD, 50_000 + f * FRAME, 1, search));
  assert.deepEqual(moves, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -5, 0], 'searched from the 10th frame, taken at the 2nd agreeing search');
  assert.deepEqual(calls[0], { from: 50_000, min: -32, max: 32, length: 1600 });
  assert.equal(calls[1]!.from, 50_000 + FRAME, 'the window slides with the frames');
  assert.equal(fine.active, false);
});

/** A started FineAlign fed `frames` frames of `mic` against one scripted answer: every frame must move nothing. */
function neverMoves(answer: { shift: number; explained: number; asPlaced: number }, frames: number, mic: Int16Array): { fine: FineAlign; calls: unknown[] } {
  const fine = new FineAlign(FRAME);
  const { search, calls } = scripted([answer]);
  fine.start();
  for (let f = 0; f < frames; f++) assert.equal(fine.frame(mic, f * FRAME, 1, search), 0, `frame ${f}`);
  return { fine, calls };
}

test('the reading as placed found best ends the search; a better reading short of the bar, or a quiet window, moves nothing', () => {
  const placed = neverMoves({ shift: 1, explained: 0.95, asPlaced: 0.94 }, 15, LOUD);
  assert.equal(placed.calls.length, 1);
  assert.equal(placed.fine.active, false);

  const unsure = neverMoves({ shift: -9, explained: 0.85, asPlaced: 0.75 }, 30, LOUD);
  assert.equal(unsure.calls.length, 10, 'ten searches at most');
  assert.equal(unsure.fine.active, false);

  const quiet = neverMoves({ shift: -5, explained: 0.92, asPlaced: 0.3 }, 30, QUIET);
  assert.equal(quiet.calls.length, 0, 'nothing loud enough to search with');
});

test('a jump in the reading starts the window over (a skip or a new run)', () => {
  const fine = new FineAlign(FRAME);
  const { search, calls } = scripted([{ shift: 1, explained: 0.3, asPlaced: 0.3 }]);
  fine.start();
  for (let f = 0; f < 9; f++) fine.frame(LOUD, f * FRAME, 1, search);
  for (let f = 0; f < 9; f++) fine.frame(LOUD, 90_000 + f * FRAME, 1, search);
  assert.equal(calls.length, 0, 'never 100 ms of one reading');
  fine.frame(LOUD, 90_000 + 9 * FRAME, 1, search);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.from, 90_000);
});

test('a wider range is searched as given; a best reading at its edge is not taken (the echo may lie beyond: that reading is its nearest alias)', () => {
  const range = { min: -8000, max: 1600 };
  const wide = new FineAlign(FRAME, range);
  const { search, calls } = scripted([{ shift: -640, explained: 0.93, asPlaced: 0.02 }]);
  wide.start();
  const moves: number[] = [];
  for (let f = 0; f < 11; f++) moves.push(wide.frame(LOUD, f * FRAME, 1, search));
  assert.equal(moves.at(-1), -640, 'taken at the second agreeing search');
  assert.deepEqual({ min: calls[0]!.min, max: calls[0]!.max }, range);

  for (const edge of [range.min, range.min + 1, range.max]) {
    const fine = new FineAlign(FRAME, range);
    const edgeSearch = scripted([{ shift: edge, explained: 0.93, asPlaced: 0.02 }]);
    fine.start();
    for (let f = 0; f < 30; f++) assert.equal(fine.frame(LOUD, f * FRAME, 1, edgeSearch.search), 0, `best at ${edge}: frame ${f}`);
    assert.equal(edgeSearch.calls.length, 10, 'searched to the last, nothing taken');
  }
});

test('with placedBelow, a better reading is taken only where the reading as placed explains less than that share', () => {
  const take = (asPlaced: number) => {
    const fine = new FineAlign(FRAME, { min: -8000, max: 1600 }, 0.5);
    const { search } = scripted([{ shift: -3, explained: 0.96, asPlaced }]);
    fine.start();
    let moved = 0;
    for (let f = 0; f < 30; f++) moved ||= fine.frame(LOUD, f * FRAME, 1, search);
    return moved;
  };
  assert.equal(take(0.67), 0, 'half explained as placed: the filter follows it itself');
  assert.equal(take(0.02), -3);
});

test("with subSample (a new answer's run, no loudspeaker drift), a reading between samples within two of the one placed is taken where it leaves under half the unexplained share (found twice within a quarter sample); without, it is taken for as placed", () => {
  const RUN = { min: -8000, max: 1600 };
  const firstMove = (answers: Array<{ shift: number; explained: number; asPlaced: number; peak: number; peakExplained: number; peakBroadband?: number }>, subSample = true) => {
    const fine = new FineAlign(FRAME, RUN, 0.5);
    const { search, calls } = scripted(answers);
    fine.start();
    for (let f = 0; f < 30; f++) {
      const move = fine.frame(LOUD, f * FRAME, 1, search, subSample);
      if (move !== 0) return { move, frame: f, searches: calls.length };
    }
    return { move: 0, frame: -1, searches: calls.length };
  };
  // Traced (office room, +6 dB, a second answer begun half a sample late): the whole readings explained 0.58 and 0.56, the peak 0.95.
  const half = { shift: -1, explained: 0.58, asPlaced: 0.56, peak: -0.5, peakExplained: 0.95 };
  assert.deepEqual(firstMove([half, { ...half, peak: -0.47 }]), { move: -0.47, frame: 10, searches: 2 });
  assert.deepEqual(firstMove([half, { ...half, peak: -0.9 }, half]), { move: -0.5, frame: 12, searches: 4 }, 'two peaks over a quarter sample apart do not agree');
  assert.equal(firstMove([half], false).move, 0, 'without subSample: as placed');
  // A whole sample off, the best reading is the peak.
  assert.equal(firstMove([{ shift: 1, explained: 0.96, asPlaced: 0.1, peak: 1, peakExplained: 0.96 }]).move, 1);
  // A peak within a quarter sample, or not clearly better (the placed reading leaves 0.08, the peak 0.05), is as placed, and ends the search.
  const near = firstMove([{ shift: 0, explained: 0.93, asPlaced: 0.93, peak: 0.2, peakExplained: 0.97 }]);
  assert.deepEqual(near, { move: 0, frame: -1, searches: 1 });
  assert.deepEqual(firstMove([{ shift: -1, explained: 0.92, asPlaced: 0.92, peak: -0.6, peakExplained: 0.95 }]), { move: 0, frame: -1, searches: 1 });
  // Past two samples, the peak is the reading taken, judged by the broadband share there (2.5 samples late: the whole readings 0.59, the peak 0.93 broadband, 0.95 pre-emphasised).
  const past = { shift: -3, explained: 0.59, asPlaced: 0, peak: -2.53, peakExplained: 0.95, peakBroadband: 0.93 };
  assert.equal(firstMove([past]).move, -2.53);
  assert.equal(firstMove([{ ...past, peakBroadband: 0.72 }]).move, 0, 'broadband short of the bar: not taken');
});

// A new answer's run with the user speaking from its first word: the voice explains nothing at
// any reading, so the echo's reading peaks as clearly, at a lower share (fine-align.ts
// TALK_EXPLAINS). Shares as traced (office, 0 dB, the user from the echo's arrival).
test('overTalk: the run found over the user\'s voice (a tenth of the window, three times the reading as placed, twice) is taken, and the search ends surely; short of that it ends unsure', () => {
  const RUN = { min: -8000, max: 1600 };
  const run = (answers: Array<{ shift: number; explained: number; asPlaced: number; peak: number; peakExplained: number; peakBroadband?: number; asPlacedTilted?: number }>, overTalk = true) => {
    const fine = new FineAlign(FRAME, RUN, 0.5, overTalk);
    const { search, calls } = scripted(answers);
    fine.start();
    for (let f = 0; f < 70; f++) {
      const move = fine.frame(LOUD, f * FRAME, 1, search, true);
      if (move !== 0 || !fine.active) return { move, searches: calls.length, surely: fine.surely };
    }
    return { move: 0, searches: calls.length, surely: fine.surely };
  };
  const forty = { shift: -40, explained: 0.34, asPlaced: 0.002, peak: -40.03, peakExplained: 0.33, peakBroadband: 0.34 };
  assert.deepEqual(run([forty]), { move: -40.03, searches: 2, surely: true }, '40 samples late');
  assert.deepEqual(run([forty], false), { move: 0, searches: 10, surely: false }, 'without overTalk: short of the bar, ten searches, unsure');
  const one = { shift: -1, explained: 0.39, asPlaced: 0.33, peak: -1.03, peakExplained: 0.34, asPlacedTilted: 0.07 };
  assert.deepEqual(run([one]), { move: -1.03, searches: 2, surely: true }, 'a sample late: judged pre-emphasised, as near readings are');
  const placed = { shift: 0, explained: 0.41, asPlaced: 0.41, peak: -0.03, peakExplained: 0.34, asPlacedTilted: 0.34 };
  assert.deepEqual(run([placed]), { move: 0, searches: 2, surely: true }, 'peaking where placed, twice: as placed');
  assert.deepEqual(run([{ ...forty, peakBroadband: 0.09 }]).surely, false, 'under a tenth of the window: unsure');
  assert.deepEqual(run([{ ...forty, peakBroadband: 0.12, asPlaced: 0.03 }]), { move: -40.03, searches: 2, surely: true }, 'an eighth of the window, four times as placed (the echo 6 dB under the user): taken');
  assert.deepEqual(run([{ ...forty, asPlaced: 0.15 }]).move, 0, 'as placed explaining half of it: not taken');
  assert.deepEqual(run([{ ...one, asPlacedTilted: 0.3 }]).surely, false, 'a sample off, as placed explaining 0.3 of 0.34: neither taken nor as placed');
  // The echo 6 dB under the user, peaking where placed: its pre-emphasised share under the bar, its broadband share over it.
  const placedQuiet = { shift: 0, explained: 0.15, asPlaced: 0.15, peak: 0, peakExplained: 0.09, asPlacedTilted: 0.09 };
  assert.deepEqual(run([placedQuiet]), { move: 0, searches: 2, surely: true }, 'peaking where placed twice, a tenth of the window broadband: as placed');
  assert.deepEqual(run([{ ...placedQuiet, explained: 0.09 }]).surely, false, 'under a tenth either way: unsure');
  // Half a sample off, as placed still explains much of the echo (traced: 1.3-1.9 times less over the user's voice).
  const half = { shift: -1, explained: 0.39, asPlaced: 0.36, peak: -0.53, peakExplained: 0.32, asPlacedTilted: 0.17 };
  assert.deepEqual(run([half]), { move: -0.53, searches: 3, surely: true }, 'half a sample off, explaining 1.9 times as placed: taken when found three times in a row');
  // The near room, the echo 6 dB under the user: the pre-emphasised share under a tenth, the broadband one over it.
  const halfQuiet = { shift: -1, explained: 0.2, asPlaced: 0.19, peak: -0.59, peakExplained: 0.084, asPlacedTilted: 0.059 };
  assert.deepEqual(run([halfQuiet]), { move: -0.59, searches: 3, surely: true }, 'half a sample off, a tenth of the window broadband: taken when found three times');
  assert.deepEqual(run([{ ...halfQuiet, explained: 0.09 }]).surely, false, 'under a tenth either way: unsure');
  assert.deepEqual(run([half, half, { ...half, peak: -0.1 }, half, half, half]), { move: -0.53, searches: 6, surely: true }, 'a peak at the reading as placed between starts the count over');
  assert.deepEqual(run([forty, { ...placed, peak: 0.5 }, forty]), { move: -40.03, searches: 4, surely: true }, 'a peak elsewhere between two finds starts the agreement over');
});

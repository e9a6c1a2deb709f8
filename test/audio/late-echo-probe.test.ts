import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LateEchoProbe } from '../../server/audio/echo/late-echo-probe.js';
import type { EchoReference } from '../../server/audio/echo/reference.js';
import { ROOM_RESPONSE, shadowRoom } from '../support/shadow-room.js';

// The probe for an echo come back late while the filter is still trusted (late-echo-probe.ts),
// with the real search (shadow-echo.ts) on a noise reference through a room of two paths: it
// searches only once started, finds a short gap's late echo, ends on an echo where it was placed
// or a gap longer than it probes, and hands back the frames since it began at the reading found.

const FRAME = 160;
const IR = ROOM_RESPONSE;

function setup(): { reference: EchoReference; echoAt: (from: number) => Int16Array } {
  const room = shadowRoom(32000, 11);
  return { reference: room.reference, echoAt: (from) => room.echoAt(from, FRAME) };
}

/** Frames read from 8000 on whose echo comes `lateBy` samples later than placed; the probe started at frame `startAt`. Returns the move found and the frame it came at (-1: none in 45 frames), and whether the probe was still under way. */
function run(lateBy: number, startAt: number | null): { move: number; at: number; probing: boolean; probe: LateEchoProbe } {
  const { reference, echoAt } = setup();
  const probe = new LateEchoProbe(FRAME, reference, () => IR);
  for (let f = 0; f < 45; f++) {
    if (f === startAt) probe.start(f);
    const readFrom = 8000 + f * FRAME;
    probe.record(echoAt(readFrom - lateBy), readFrom, false);
    const move = probe.step(true);
    if (move !== 0) return { move, at: f, probing: probe.probing, probe };
  }
  return { move: 0, at: -1, probing: probe.probing, probe };
}

test('started, the probe finds an echo come 30 ms late once 100 ms of it are heard; not started, it never searches', () => {
  const late = run(480, 0);
  assert.equal(late.move, -480);
  assert.ok(late.at >= 10 && late.at <= 14, `found at frame ${late.at}`);
  assert.equal(run(480, null).move, 0, 'never started');
});

test('the echo where it was placed ends the probe with nothing moved; a gap longer than it probes (200 ms) is found by nothing within its 400 ms', () => {
  const placed = run(0, 0);
  assert.equal(placed.move, 0);
  assert.equal(placed.probing, false, 'ended on the reading as placed');
  const long = run(3200, 0);
  assert.equal(long.move, 0);
  assert.equal(long.probing, false, 'ended after 400 ms');
});

test('after a move, the frames since the probe began are handed back at the reading found, and the probe ends', () => {
  const { reference, echoAt } = setup();
  const probe = new LateEchoProbe(FRAME, reference, () => IR);
  // 5 frames before the probe began (the echo then where placed), then the gap's late echo.
  for (let f = 0; f < 5; f++) probe.record(echoAt(8000 + f * FRAME), 8000 + f * FRAME, false);
  probe.start(5);
  let move = 0;
  let f = 5;
  for (; move === 0 && f < 45; f++) {
    const readFrom = 8000 + f * FRAME;
    probe.record(echoAt(readFrom - 480), readFrom, false);
    move = probe.step(true);
  }
  assert.equal(move, -480);
  const heard: number[] = [];
  probe.replay(move, (_mic, readFrom) => heard.push(readFrom), f - 1);
  assert.deepEqual(heard, Array.from({ length: f - 5 }, (_, k) => 8000 + (5 + k) * FRAME - 480));
  assert.equal(probe.probing, false);
});

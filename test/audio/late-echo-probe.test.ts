import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LateEchoProbe } from '../../server/audio/echo/late-echo-probe.js';
import { EchoReference } from '../../server/audio/echo/reference.js';

// The probe for an echo come back late while the filter is still trusted (late-echo-probe.ts),
// with the real search (shadow-echo.ts) on a noise reference through a room of two paths: it
// searches only once started, finds a short gap's late echo, ends on an echo where it was placed
// or a gap longer than it probes, and hands back the frames since it began at the reading found.

const FRAME = 160;
/** A room: direct path at 50 taps, a reflection at 400, in SpeexDSP's int32 scale. */
const IR = new Int32Array(4800);
IR[50] = 20000;
IR[400] = -9000;

function noise(n: number, seed: number): Float32Array {
  let x = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = (x / 2147483648 - 0.5) * 0.5;
  }
  return out;
}

function setup(): { reference: EchoReference; echoAt: (from: number) => Int16Array } {
  const reference = new EchoReference({ originMs: 0 });
  reference.sent(noise(32000, 11), 16000, 0);
  const all = new Int16Array(32000);
  reference.read(0, all);
  const echoAt = (from: number) => {
    const out = new Int16Array(FRAME);
    for (let i = 0; i < FRAME; i++) {
      let y = 0;
      for (let k = 0; k < IR.length; k++) if (IR[k] !== 0 && from + i - k >= 0) y += (IR[k]! / 32768) * all[from + i - k]!;
      out[i] = Math.round(y);
    }
    return out;
  };
  return { reference, echoAt };
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoReference } from '../../server/audio/echo/reference.js';

// The echo reference: every 16 kHz sample of what was sent, on the playback timeline of the
// pacer's listener model (frames queue back to back; a stall leaves silence), cut on cancel.

/** A 100 ms frame at 24 kHz of a constant level (easy to find again after resampling). */
function frame24k(level: number): Float32Array {
  return new Float32Array(2400).fill(level);
}

function readAll(ref: EchoReference, from: number, n: number): Int16Array {
  const out = new Int16Array(n);
  ref.read(from, out);
  return out;
}

test('frames sent ahead queue back to back: every sample tapped once, at 16 kHz, none lost or duplicated', () => {
  const ref = new EchoReference({ originMs: 1000 });
  // The pacer sends five frames at once (lead), then one per 100 ms.
  const sentAt = [1000, 1000, 1000, 1001, 1002, 1100, 1200, 1300];
  sentAt.forEach((t, i) => ref.sent(frame24k(0.1 * (i + 1)), 24000, t));
  ref.cut(Number.POSITIVE_INFINITY); // flushes the resampler's tail; nothing is after the end
  assert.equal(ref.writtenSamples, sentAt.length * 1600);
  assert.equal(ref.end, sentAt.length * 1600);
  assert.equal(ref.erasedSamples, 0);
  const all = readAll(ref, 0, ref.end);
  // Frame i's middle holds its level: frames kept their order and place.
  for (let i = 0; i < sentAt.length; i++) {
    const mid = all[i * 1600 + 800];
    assert.ok(Math.abs(mid - Math.round(0.1 * (i + 1) * 32768)) < 50, `frame ${i}: ${mid}`);
  }
  // Nothing beyond the end.
  assert.ok(readAll(ref, ref.end, 320).every((v) => v === 0));
});

test('a stall at the client leaves silence: the next frame starts when it was sent', () => {
  const ref = new EchoReference({ originMs: 0 });
  ref.sent(frame24k(0.2), 24000, 0);
  // The client played the 100 ms and ran dry; the next frame comes at 500 ms.
  ref.sent(frame24k(0.2), 24000, 500);
  ref.cut(Number.POSITIVE_INFINITY);
  assert.equal(ref.writtenSamples, 2 * 1600);
  // The resampler's few held-back samples of the first frame follow the gap (as at the client).
  assert.ok(ref.end - (500 * 16 + 1600) >= 0 && ref.end - (500 * 16 + 1600) < 64, `end ${ref.end}`);
  const gap = readAll(ref, 1700, 500 * 16 - 1700);
  assert.ok(gap.every((v) => v === 0), 'silence between the frames');
  assert.ok(readAll(ref, 500 * 16 + 800, 1)[0]! > 6000);
  assert.ok(ref.blockEnergy(20) === 0 && ref.blockEnergy(55) > 0, 'block energies follow the timeline');
});

test('runs of contiguous playback: frames sent ahead or on time continue one, a stall starts the next', () => {
  const ref = new EchoReference({ originMs: 0 });
  assert.equal(ref.runs, 1);
  for (const t of [0, 0, 0, 150, 250]) ref.sent(frame24k(0.2), 24000, t);
  assert.equal(ref.runs, 1, 'back to back (within the stall tolerance)');
  ref.sent(frame24k(0.2), 24000, 2000);
  assert.equal(ref.runs, 2, 'after the client ran dry');
  // The silence placed before the new run: from the end of what was queued (500 ms) to 2000 ms.
  const gap = ref.latestRunGap;
  assert.ok(Math.abs(gap.start - 500 * 16) < 64, `gap start ${gap.start}`);
  assert.equal(gap.start + gap.samples, 2000 * 16);
  assert.ok(gap.lastSoundBefore > 400 * 16 && gap.lastSoundBefore < gap.start, `last sound before ${gap.lastSoundBefore}`);
  assert.equal(gap.afterCut, false);
  // After a cut the client dropped its queue: the silence before the next run says so.
  ref.cut(2050);
  ref.sent(frame24k(0.2), 24000, 2400);
  assert.equal(ref.runs, 3);
  assert.equal(ref.latestRunGap.afterCut, true);
  ref.sent(frame24k(0.2), 24000, 3000);
  assert.equal(ref.runs, 4);
  assert.equal(ref.latestRunGap.afterCut, false, 'a later stall is not after the cut');
});

test('cut on cancel erases what was not played; a resumed answer continues after what is queued', () => {
  const ref = new EchoReference({ originMs: 0 });
  for (let i = 0; i < 5; i++) ref.sent(frame24k(0.3), 24000, 0); // 500 ms sent ahead at t=0
  ref.cut(200); // the answer is cancelled at 200 ms: the client drops the other 300 ms
  assert.equal(ref.end, 200 * 16);
  assert.equal(ref.erasedSamples, 5 * 1600 - 200 * 16);
  assert.ok(readAll(ref, 200 * 16, 300 * 16).every((v) => v === 0), 'the dropped audio is gone from the reference');
  assert.ok(readAll(ref, 100 * 16, 1)[0]! > 9000, 'what was played stays');
  assert.equal(ref.blockEnergy(25), 0, 'its energies too');

  // A paused answer: 200 ms queued at t=1000; resumed at t=1100, before the queue ran out.
  const paused = new EchoReference({ originMs: 1000 });
  paused.sent(frame24k(0.1), 24000, 1000);
  paused.sent(frame24k(0.1), 24000, 1000);
  paused.sent(frame24k(0.5), 24000, 1100);
  paused.cut(Number.POSITIVE_INFINITY);
  assert.equal(paused.end, 3 * 1600, 'continues right after the queued audio, no gap, no overlap');
  assert.ok(readAll(paused, 2 * 1600 + 800, 1)[0]! > 15000);
});

test('memory is bounded: the ring forgets audio older than its capacity', () => {
  const ref = new EchoReference({ originMs: 0, capacityMs: 500 });
  for (let i = 0; i < 30; i++) ref.sent(frame24k(0.2), 24000, i * 100);
  assert.equal(ref.writtenSamples >= 29 * 1600, true);
  assert.ok(readAll(ref, 0, 1600).every((v) => v === 0), 'forgotten');
  assert.ok(readAll(ref, ref.end - 4000, 1)[0]! > 6000, 'recent audio kept');
});

test('read() across the ring\'s wrap, before what it holds and past its end equals sample-by-sample lookup; nothing sounds after lastSoundSample', () => {
  // A 100 ms ring (1600 samples) written with a ramp of distinct values, 2.5 times round.
  const ref = new EchoReference({ originMs: 0, capacityMs: 100 });
  assert.equal(ref.lastSoundSample, -1, 'nothing written');
  const written: number[] = [];
  for (let f = 0; f < 25; f++) {
    const chunk = new Float32Array(160);
    for (let k = 0; k < 160; k++) chunk[k] = f === 24 && k >= 100 ? 0 : ((f * 160 + k) % 2000) / 32768 + 1 / 32768;
    ref.sent(chunk, 16000, f * 10);
    for (const v of chunk) written.push(Math.round(v * 32768));
  }
  const end = ref.end;
  assert.equal(end, 4000);
  const expected = (i: number) => (i < 0 || i >= end || i < end - 1600 ? 0 : written[i]!);
  for (const [from, n] of [[2300, 500], [2390, 20], [2000, 400], [3900, 300], [-50, 100], [0, 100], [3999, 1], [4100, 10], [2399, 1602]] as const) {
    const out = readAll(ref, from, n);
    for (let k = 0; k < n; k++) assert.equal(out[k], expected(from + k), `read(${from}, ${n})[${k}]`);
  }
  // The last 60 samples were silence: the last sound is the one before them.
  assert.equal(ref.lastSoundSample, 24 * 160 + 99);
  assert.equal(ref.blockEnergy(25), 0);
});

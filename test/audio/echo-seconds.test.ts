import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoSeconds } from '../../server/audio/echo/echo-seconds.js';

// The canceller's per-second statistics (echo-seconds.ts): which seconds count as echo, and the
// ERLE and residual reported for seconds of echo alone.

const MARGIN = 10 ** (9 / 10);

test('a second of echo alone reports its ERLE and residual level; a second with the user over the echo, or with too little echo, reports nothing', () => {
  const reports: Array<[number, number]> = [];
  const seconds = new EchoSeconds(MARGIN, (erle, residual) => reports.push([erle, residual]));
  const mic = 1e6;
  const out = 1e3;
  let ends: boolean[] = [];
  for (let f = 0; f < 100; f++) ends.push(seconds.frame(true, mic, out, out));
  assert.deepEqual(ends.map((e, f) => (e ? f : -1)).filter((f) => f >= 0), [99], 'the second ends at its 100th frame, a second of echo');
  assert.equal(reports.length, 1);
  assert.ok(Math.abs(reports[0]![0] - 30) < 1e-9, `ERLE ${reports[0]![0]}`);
  assert.ok(Math.abs(reports[0]![1] - 10 * Math.log10(out / 32768 ** 2)) < 1e-9);
  // The user over the echo in one frame (the output past the margin over the residual).
  ends = [];
  for (let f = 0; f < 100; f++) ends.push(seconds.frame(true, mic, f === 50 ? out * 100 : out, out));
  assert.equal(ends[99], true);
  assert.equal(reports.length, 1, 'no report with near-end speech in it');
  // 60 frames of echo: a second of echo, too little to measure; 40: neither.
  for (let f = 0; f < 100; f++) ends[f] = seconds.frame(f < 60, mic, out, out);
  assert.equal(ends[99], true);
  for (let f = 0; f < 100; f++) ends[f] = seconds.frame(f < 40, mic, out, out);
  assert.equal(ends[99], false);
  assert.equal(reports.length, 1);
});

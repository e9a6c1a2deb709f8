import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LockHistory } from '../../server/audio/echo/lock-history.js';

// The microphone kept until the echo's delay is first found (lock-history.ts): what it hands back
// to be heard again at that delay.

const FRAME = 160;

test('keeps the last frames with their positions, hands them oldest first at the delay found, then forgets them', () => {
  const history = new LockHistory(FRAME, 3);
  for (let f = 0; f < 5; f++) history.record(new Int16Array(FRAME).fill(f), 1000.4 + f * FRAME);
  const heard: Array<[number, number, number]> = [];
  history.replay(7200, (mic, readFrom) => heard.push([mic[0]!, mic[FRAME - 1]!, readFrom]));
  assert.deepEqual(heard, [
    [2, 2, 1000 + 2 * FRAME - 7200],
    [3, 3, 1000 + 3 * FRAME - 7200],
    [4, 4, 1000 + 4 * FRAME - 7200],
  ]);
  const again: number[] = [];
  history.replay(7200, (mic) => again.push(mic[0]!));
  assert.deepEqual(again, [], 'forgotten after the replay');
  history.record(new Int16Array(FRAME).fill(9), 5000);
  const fewer: number[] = [];
  history.replay(0, (mic, readFrom) => fewer.push(mic[0]!, readFrom));
  assert.deepEqual(fewer, [9, 5000], 'fewer than it holds');
});

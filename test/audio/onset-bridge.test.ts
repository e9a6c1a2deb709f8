// OnsetBridge: a speech candidate the echo gate let through clearly may carry on through a few
// frames the gate holds back; nothing else may.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnsetBridge } from '../../server/audio/echo/onset-bridge.js';

test('bridges at most 3 frames, and only after 4 frames in a row the gate let through', () => {
  const bridge = new OnsetBridge();
  for (let k = 0; k < 3; k++) bridge.passed();
  assert.equal(bridge.bridge(), false, 'three clear frames are not enough');
  bridge.reset();
  for (let k = 0; k < 4; k++) bridge.passed();
  assert.deepEqual([bridge.bridge(), bridge.bridge(), bridge.passed(), bridge.bridge(), bridge.bridge()], [true, true, undefined, true, false]);
});

test('clear frames must come in a row: passes split by held frames earn nothing', () => {
  const bridge = new OnsetBridge();
  const calls: boolean[] = [];
  for (let k = 0; k < 3; k++) {
    bridge.passed();
    bridge.passed();
    calls.push(bridge.bridge());
  }
  assert.deepEqual(calls, [false, false, false]);
});

test('a new candidate starts with nothing earned', () => {
  const bridge = new OnsetBridge();
  for (let k = 0; k < 6; k++) bridge.passed();
  assert.equal(bridge.bridge(), true);
  bridge.reset();
  assert.equal(bridge.bridge(), false);
});

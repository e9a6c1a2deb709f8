// OnsetLead: the frames that lead a candidate are the run of them right before its first frame, at most two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEAD_FRAMES, OnsetLead } from '../../server/audio/echo/onset-lead.js';

const FRAME = 512;

test('a run of leading frames right before the start leads it, at most LEAD_FRAMES of them', () => {
  const lead = new OnsetLead();
  assert.equal(lead.startFor(10 * FRAME), 10 * FRAME, 'nothing heard: the frame itself');
  lead.heard(8 * FRAME, FRAME, true);
  lead.heard(9 * FRAME, FRAME, true);
  assert.equal(lead.startFor(10 * FRAME), 8 * FRAME);
  lead.heard(10 * FRAME, FRAME, true);
  assert.equal(LEAD_FRAMES, 2);
  assert.equal(lead.startFor(11 * FRAME), 9 * FRAME, 'three frames led: the last two count');
});

test('a frame that does not lead, a gap in the frames heard, or a reset ends the run', () => {
  const lead = new OnsetLead();
  lead.heard(8 * FRAME, FRAME, true);
  lead.heard(9 * FRAME, FRAME, false);
  assert.equal(lead.startFor(10 * FRAME), 10 * FRAME);
  lead.heard(10 * FRAME, FRAME, true);
  assert.equal(lead.startFor(12 * FRAME), 12 * FRAME, 'frames skipped after it (the room\'s quiet: quiet-frames.ts)');
  lead.heard(12 * FRAME, FRAME, true);
  assert.equal(lead.startFor(13 * FRAME), 12 * FRAME, 'a run begun after a gap starts afresh');
  lead.reset();
  assert.equal(lead.startFor(13 * FRAME), 13 * FRAME);
});

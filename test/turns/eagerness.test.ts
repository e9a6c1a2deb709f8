// OpenAI's semantic_vad `eagerness` acts on the end-of-turn layer: hold bound, model threshold,
// speculative threshold (and the silence timer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../server/config/load.js';
import { silenceTimerMs, turnTuning } from '../../server/turns/eagerness.js';
import { toFrontEndSettings } from '../../server/realtime/detector-factory.js';
import { harness, speech } from '../support/scheduler-harness.js';

const turns = resolveConfig({}).turns;
const semantic = (eagerness: 'low' | 'medium' | 'high' | 'auto') => ({ type: 'semantic_vad' as const, eagerness, create_response: true, interrupt_response: true });

test('eagerness maps onto hold bound, thresholds and silence; auto and server_vad keep the config', () => {
  const base = { holdMs: turns.holdMs, modelThreshold: turns.modelThreshold, speculativeThreshold: turns.speculativeThreshold };
  assert.deepEqual(turnTuning(semantic('auto'), turns), base);
  assert.deepEqual(turnTuning(semantic('medium'), turns), base);
  assert.deepEqual(turnTuning({ type: 'server_vad', silence_duration_ms: 500 }, turns), base);
  assert.deepEqual(turnTuning(semantic('low'), turns), { holdMs: 4500, modelThreshold: 0.7, speculativeThreshold: 0.85 });
  assert.deepEqual(turnTuning(semantic('high'), turns), { holdMs: 1500, modelThreshold: 0.35, speculativeThreshold: 0.5 });
  assert.deepEqual([silenceTimerMs(semantic('low')), silenceTimerMs(semantic('high')), silenceTimerMs(semantic('auto'))], [900, 350, 500]);
  assert.equal(toFrontEndSettings(semantic('high'))!.silence_duration_ms, 350);
});

test('a session with eagerness high holds an incomplete turn for half as long', async () => {
  const h = harness({ decisions: ['<4>'] }, { turns: { endOfTurn: ['monitor'], holdMs: 60000 } });
  h.settings.turnDetection = semantic('high');
  const piece = speech(h, 'item_a', 0, 800, 'so');
  await h.scheduler.segment(piece.item, piece.segment, piece.transcript);
  const held = h.events.find((e) => e.type === 'duet.turn.held');
  assert.ok(held && (held.hold_ms as number) <= 30000 && (held.hold_ms as number) > 29000, `hold_ms ${held?.hold_ms}`);
  h.lifetime.abort();
});

// The answer prepared during the silence: started at a short pause, released only when the
// silence timer confirms the turn, discarded without a trace when the user goes on speaking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioSegment, EndOfTurnModel } from '../../models/types.js';
import { harness, speech, tick } from '../support/scheduler-harness.js';

function pauseSegment(startMs: number, endMs: number): AudioSegment {
  return { samples: new Float32Array((endMs - startMs) * 16), sampleRate: 16000, startMs, endMs, mel: { preset: 'whisper', frames: 2, bins: 80, data: new Float32Array(160) } };
}

test('a speculative answer discarded when speech resumes leaves no event and no history', async () => {
  const h = harness({ tokenDelayMs: 2 }, { turns: { speculative: true } });
  const before = h.conversation.toMessages();
  h.scheduler.speechStarted(0, 0);
  await h.scheduler.pauseStarted(pauseSegment(0, 900), 'what is the');
  while (h.generateCalls().length === 0) await tick(1);
  await tick(10); // it generates meanwhile, into its own buffer
  assert.deepEqual(h.types(), [], 'nothing reached the client while speculating');
  h.scheduler.pauseEnded(); // the user goes on speaking
  await tick(5);
  assert.deepEqual(h.types(), [], 'nothing reached the client after the discard either');
  assert.deepEqual(h.conversation.toMessages(), before, 'no history');
  assert.equal(h.models.instances[0].active + h.models.instances[1].active, 0, 'the speculative generation stopped');
  assert.equal((await h.metrics.speculativeStarts.get()).values[0]!.value, 1);
  assert.equal((await h.metrics.speculativeUsed.get()).values[0]?.value ?? 0, 0);
  assert.ok((await h.metrics.speculativeDiscardedMs.get()).values[0]!.value > 0, 'the model time spent is counted');

  // The turn then ends for real: answered once, from the whole speech.
  h.scheduler.speechStopped();
  const turn = speech(h, 'item_turn', 0, 2000, 'what is the capital of France');
  await h.scheduler.segment(turn.item, turn.segment, turn.transcript);
  await h.scheduler.settle();
  assert.equal(h.types().filter((t) => t === 'response.created').length, 1);
  const done = h.events.filter((e) => e.type === 'response.done');
  assert.equal(done.length, 1);
  const real = h.generateCalls().at(-1)!;
  const lastUser = real.messages.at(-1)!;
  assert.equal(lastUser.content[0]!.type === 'audio' && lastUser.content[0]!.transcript, 'what is the capital of France');
});

test('a speculative answer is released when the silence timer confirms the same speech', async () => {
  const h = harness({ tokenDelayMs: 2 }, { turns: { speculative: true } });
  h.scheduler.speechStarted(0, 0);
  await h.scheduler.pauseStarted(pauseSegment(0, 1500), 'how far is the moon');
  while (h.generateCalls().length === 0) await tick(1);
  h.scheduler.speechStopped();
  const turn = speech(h, 'item_moon', 0, 1500, 'how far is the moon');
  turn.segment.mel = { preset: 'whisper', frames: 2, bins: 80, data: new Float32Array(160) };
  await h.scheduler.segment(turn.item, turn.segment, turn.transcript);
  await h.scheduler.settle();
  assert.equal(h.generateCalls().length, 1, 'the prepared generation is the answer');
  assert.equal(h.classifyCalls(), 1, 'the prepared decision is used');
  assert.equal(h.types().filter((t) => t === 'response.created').length, 1);
  const done = h.events.find((e) => e.type === 'response.done')!.response as { status: string; output: { content: { text?: string }[] }[] };
  assert.equal(done.status, 'completed');
  assert.equal(h.events.find((e) => e.type === 'duet.monitor.state')?.item_id, 'item_moon');
  assert.equal((await h.metrics.speculativeUsed.get()).values[0]!.value, 1);
});

test('with the end-of-turn model, a speculative start needs its probability over the threshold', async () => {
  let probability = 0.3;
  const model: EndOfTurnModel = { id: 'fake', accepts: () => true, predict: async () => ({ probability, elapsedMs: 1 }), close: async () => {} };
  const h = harness({}, { turns: { speculative: true, speculativeThreshold: 0.6, endOfTurn: ['model', 'silence'] } }, model);
  h.scheduler.speechStarted(0, 0);
  await h.scheduler.pauseStarted(pauseSegment(0, 800), undefined);
  assert.equal(h.generateCalls().length, 0, 'weak evidence: no speculative start');
  h.scheduler.pauseEnded();
  probability = 0.8;
  await h.scheduler.pauseStarted(pauseSegment(0, 1200), undefined);
  assert.equal(h.generateCalls().length, 1, 'strong evidence: started');
  assert.equal((await h.metrics.speculativeStarts.get()).values[0]!.value, 1);
  h.lifetime.abort();
});

test('speculative starts off (the default): a pause starts nothing', async () => {
  const h = harness({});
  h.scheduler.speechStarted(0, 0);
  assert.equal(h.scheduler.wouldSpeculate, false);
  await h.scheduler.pauseStarted(pauseSegment(0, 800), 'hello');
  assert.equal(h.generateCalls().length + h.classifyCalls(), 0);
  h.lifetime.abort();
});

test('after a held first half, the answer to the whole turn is prepared in the second pause and used', async () => {
  const h = harness({ decisions: ['<4>', '<1>'], tokenDelayMs: 2 }, { turns: { speculative: true, endOfTurn: ['monitor', 'silence'] } });
  const first = speech(h, 'item_first', 0, 1000, 'set a timer');
  await h.scheduler.segment(first.item, first.segment, first.transcript);
  assert.equal(h.events.find((e) => e.type === 'duet.turn.held')?.item_id, 'item_first');
  h.scheduler.speechStarted(1300, 0);
  await h.scheduler.pauseStarted(pauseSegment(1300, 2200), 'for ten minutes');
  while (h.generateCalls().length === 0) await tick(1);
  const prepared = h.generateCalls()[0]!.messages;
  assert.equal(prepared.filter((m) => m.role === 'user').length, 1, 'the merged turn, not the held piece on its own as well');
  const last = prepared.at(-1)!.content[0]!;
  assert.equal(last.type === 'audio' && last.transcript, 'set a timer for ten minutes');
  assert.equal(last.type === 'audio' && last.segment.startMs, 0);
  h.scheduler.speechStopped();
  const second = speech(h, 'item_second', 1300, 2200, 'for ten minutes');
  await h.scheduler.segment(second.item, second.segment, second.transcript);
  await h.scheduler.settle();
  assert.equal(h.generateCalls().length, 1, 'the prepared answer was released');
  assert.equal((await h.metrics.speculativeUsed.get()).values[0]!.value, 1);
  assert.equal(h.types().filter((t) => t === 'response.created').length, 1);
  assert.equal(h.conversation.get('item_first'), undefined);
});

test('the end-of-turn model ends a turn at a short pause when it calls it complete', async () => {
  let probability = 0.4;
  const model: EndOfTurnModel = { id: 'fake', accepts: () => true, predict: async () => ({ probability, elapsedMs: 1 }), close: async () => {} };
  const h = harness({}, { turns: { endOfTurn: ['model', 'silence'], modelThreshold: 0.5 } }, model);
  h.scheduler.speechStarted(0, 0);
  assert.equal(h.scheduler.judgesPauses, true, 'with the model, pauses are judged even without speculative starts');
  assert.equal(await h.scheduler.pauseStarted(pauseSegment(0, 800), undefined), false, 'incomplete: wait for the timer');
  h.scheduler.pauseEnded();
  probability = 0.6;
  assert.equal(await h.scheduler.pauseStarted(pauseSegment(0, 1600), undefined), true, 'complete: end the turn now');
  assert.equal(h.generateCalls().length, 0, 'speculative starts are off');
  h.lifetime.abort();
});

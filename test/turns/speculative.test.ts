// The answer prepared during the silence: started at a short pause, released only when the
// silence timer confirms the turn, discarded without a trace when the user goes on speaking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioSegment, EndOfTurnModel } from '../../models/types.js';
import { ANSWER, answerText, harness, speech, tick, untilAnswering } from '../support/scheduler-harness.js';

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

test('speculative starts `auto` (the default) without the end-of-turn model, or off: a pause starts nothing', async () => {
  for (const turns of [{}, { speculative: false }]) {
    const h = harness({}, { turns });
    h.scheduler.speechStarted(0, 0);
    assert.equal(h.scheduler.wouldSpeculate, false);
    await h.scheduler.pauseStarted(pauseSegment(0, 800), 'hello');
    assert.equal(h.generateCalls().length + h.classifyCalls(), 0);
    h.lifetime.abort();
  }
});

test('speculative starts `auto` (the default) with the end-of-turn model: started when its probability is high enough', async () => {
  const model: EndOfTurnModel = { id: 'fake', accepts: () => true, predict: async () => ({ probability: 0.9, elapsedMs: 1 }), close: async () => {} };
  const h = harness({}, { turns: { endOfTurn: ['model', 'silence'] } }, model);
  h.scheduler.speechStarted(0, 0);
  assert.equal(h.scheduler.wouldSpeculate, true);
  await h.scheduler.pauseStarted(pauseSegment(0, 1200), undefined);
  assert.equal(h.generateCalls().length, 1);
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

/** An answer streaming (slowly enough to be paused mid-way), then paused by the user's speech. */
async function pausedAnswer(h: ReturnType<typeof harness>): Promise<string> {
  h.conversation.add({ id: 'item_q', role: 'user', status: 'completed', parts: [{ type: 'input_text', text: 'Count.' }] });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 300);
  assert.equal(h.scheduler.state, 'paused');
  return answerText(h.events);
}

test('over a paused answer, the answer to the interruption is prepared at the pause and released when the turn is confirmed', async () => {
  const h = harness({ tokenDelayMs: 8 }, { turns: { speculative: true } });
  const heard = await pausedAnswer(h);
  await h.scheduler.pauseStarted(pauseSegment(0, 1000), 'what about mars');
  while (h.generateCalls().length < 2) await tick(1);
  const prepared = h.generateCalls()[1]!.messages;
  assert.deepEqual(prepared.at(-2), { role: 'assistant', content: [{ type: 'text', text: heard }] }, 'the paused answer as the user heard it');
  const last = prepared.at(-1)!.content[0]!;
  assert.equal(last.type === 'audio' && last.transcript, 'what about mars');
  await tick(20);
  assert.equal(h.types().filter((t) => t === 'response.created').length, 1, 'nothing of the prepared answer reached the client');
  assert.equal(answerText(h.events), heard, 'and the paused answer stayed paused');

  h.scheduler.speechStopped();
  const turn = speech(h, 'item_mars', 0, 1000, 'what about mars');
  await h.scheduler.segment(turn.item, turn.segment, turn.transcript);
  await h.scheduler.settle();
  assert.equal(h.generateCalls().length, 2, 'the prepared generation is the answer');
  assert.equal(h.classifyCalls(), 1, 'one monitor call: the verdict and the prepared decision are one');
  const done = h.events.filter((e) => e.type === 'response.done').map((e) => e.response as { status: string; output: { content: { text?: string }[] }[] });
  assert.deepEqual(
    done.map((r) => r.status),
    ['cancelled', 'completed'],
  );
  assert.equal(done[0]!.output[0]!.content[0]!.text, heard, 'the interrupted answer is stored as what was sent, as the prepared answer assumed');
  assert.equal(done[1]!.output[0]!.content[0]!.text, 'Second answer.');
  assert.equal((await h.metrics.speculativeUsed.get()).values[0]!.value, 1);
});

test('over a paused answer, a noise verdict resumes it and discards the prepared answer without a trace', async () => {
  const h = harness({ tokenDelayMs: 8, decisions: ['<2>'], decisionDelayMs: 15 }, { turns: { speculative: true } });
  await pausedAnswer(h);
  await h.scheduler.pauseStarted(pauseSegment(0, 1000), undefined);
  while (!h.events.some((e) => e.type === 'duet.response.resumed')) await tick(2);
  assert.equal(h.generateCalls().length, 2, 'the answer to the interruption had started');
  await tick(5);
  assert.equal(h.models.instances[0].active + h.models.instances[1].active, 1, 'only the resumed answer still generates');
  h.scheduler.speechStopped();
  const cough = speech(h, 'item_cough', 0, 1000);
  await h.scheduler.segment(cough.item, cough.segment, undefined);
  await h.scheduler.settle();
  assert.equal(h.classifyCalls(), 1, 'the verdict was reused for the segment');
  assert.equal(h.types().filter((t) => t === 'response.created').length, 1);
  assert.equal(answerText(h.events), ANSWER, 'the first answer played to its end');
  assert.equal((await h.metrics.speculativeUsed.get()).values[0]?.value ?? 0, 0);
  assert.ok((await h.metrics.speculativeDiscardedMs.get()).values[0]!.value > 0);
});

// End of turn beyond the silence timer: a turn judged incomplete (monitor `<4>`, or the audio
// end-of-turn model) is held, then merged with the rest into one user item and one answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndOfTurnModel, MelFeatures } from '../../models/types.js';
import { ANSWER, answerText, harness, speech, tick } from '../support/scheduler-harness.js';

test('an "incomplete" first half is held and merged with the second into one item and one answer', async () => {
  const h = harness({ decisions: ['<4>', '<1>'] }, { turns: { endOfTurn: ['monitor', 'silence'] } });
  const first = speech(h, 'item_first', 0, 1200, 'I would like to know');
  await h.scheduler.segment(first.item, first.segment, first.transcript);
  assert.equal(h.types().includes('response.created'), false, 'no answer to the first half');
  const held = h.events.find((e) => e.type === 'duet.turn.held');
  assert.equal(held?.item_id, 'item_first');
  assert.equal(held?.source, 'monitor');
  assert.equal(h.events.find((e) => e.type === 'duet.monitor.state')?.state, '<4>');

  h.scheduler.speechStarted(1900, 0);
  h.scheduler.speechStopped();
  const second = speech(h, 'item_second', 1900, 3000, 'how far away the moon is');
  await h.scheduler.segment(second.item, second.segment, second.transcript);
  await h.scheduler.settle();

  const users = h.conversation.toMessages().filter((m) => m.role === 'user');
  assert.equal(users.length, 1, 'one user item for the whole turn');
  assert.equal(h.conversation.get('item_first'), undefined);
  const part = h.conversation.get('item_second')!.parts[0]!;
  assert.equal(part.type === 'input_audio' && part.transcript, 'I would like to know how far away the moon is');
  assert.equal(part.type === 'input_audio' && part.segment?.samples.length, (1200 + 1100) * 16, 'both pieces of audio');
  assert.equal(part.type === 'input_audio' && part.segment?.mel?.frames, 4, 'both pieces of features');
  assert.deepEqual(h.events.find((e) => e.type === 'conversation.item.deleted'), { type: 'conversation.item.deleted', item_id: 'item_first' });
  assert.deepEqual(h.events.find((e) => e.type === 'duet.turn.merged')?.merged_item_ids, ['item_first']);
  assert.equal(h.types().filter((t) => t === 'response.created').length, 1, 'one answer');
  assert.equal(answerText(h.events), ANSWER);
  const asked = h.generateCalls();
  assert.equal(asked.length, 1);
  const last = asked[0]!.messages.at(-1)!;
  assert.equal(last.content[0]!.type === 'audio' && last.content[0]!.transcript, 'I would like to know how far away the moon is');
  assert.deepEqual((await h.metrics.turnsHeld.get()).values.map((v) => [v.labels.source, v.value]), [['monitor', 1]]);
  // The monitor was asked for its fourth outcome on both pieces (it is one of the judges).
  const classified = [...h.models.instances[0].classifyCalls, ...h.models.instances[1].classifyCalls];
  assert.deepEqual(classified.map((c) => c.allowIncomplete), [true, true]);
});

test('without monitor among the end-of-turn judges, the monitor is not asked for incomplete', async () => {
  const h = harness({ decisions: ['<1>'] }, { turns: { endOfTurn: ['silence'] } });
  const turn = speech(h, 'item_q', 0, 1200, 'how far away is the moon');
  await h.scheduler.segment(turn.item, turn.segment, turn.transcript);
  await h.scheduler.settle();
  const classified = [...h.models.instances[0].classifyCalls, ...h.models.instances[1].classifyCalls];
  assert.deepEqual(classified.map((c) => c.allowIncomplete), [false]);
});

test('a held turn is answered as it is when no more speech comes within turns.holdMs', async () => {
  const h = harness({ decisions: ['<4>', '<1>'] }, { turns: { endOfTurn: ['monitor'], holdMs: 400 } });
  const only = speech(h, 'item_only', 0, 800, 'so I was thinking');
  await h.scheduler.segment(only.item, only.segment, only.transcript);
  assert.equal(h.types().includes('response.created'), false);
  while (!h.types().includes('response.created')) await tick(5);
  const states = h.events.filter((e) => e.type === 'duet.monitor.state');
  assert.deepEqual(states.map((e) => [e.state, e.action]), [['<4>', 'wait'], ['<1>', 'answer']]);
  assert.equal(states[1]!.reason, 'hold bound reached');
  assert.equal(h.classifyCalls(), 1, 'the held decision is reused, not asked again');
  h.lifetime.abort();
});

test('"incomplete" from a monitor that is not a configured judge is answered at once', async () => {
  const h = harness({ decisions: ['<4>'] }); // turns.endOfTurn defaults to the silence timer only
  const only = speech(h, 'item_only', 0, 800, 'so I was thinking');
  await h.scheduler.segment(only.item, only.segment, only.transcript);
  assert.equal(h.types().includes('duet.turn.held'), false);
  assert.equal(h.types().includes('response.created'), true);
  h.lifetime.abort();
});

test('the end-of-turn model holds a turn it finds incomplete, before any monitor call', async () => {
  const seen: MelFeatures[] = [];
  const probabilities = [0.2, 0.9];
  const model: EndOfTurnModel = {
    id: 'fake-eot',
    accepts: (mel) => mel.preset === 'whisper',
    predict: async (mel) => {
      seen.push(mel);
      return { probability: probabilities.shift() ?? 1, elapsedMs: 1 };
    },
    close: async () => {},
  };
  const h = harness({ decisions: ['<1>'] }, { turns: { endOfTurn: ['model', 'monitor', 'silence'] } }, model);
  const first = speech(h, 'item_a', 0, 1000, 'set a timer');
  await h.scheduler.segment(first.item, first.segment, first.transcript);
  assert.equal(h.classifyCalls(), 0, 'the model held it: no monitor call');
  assert.equal(h.events.find((e) => e.type === 'duet.turn.held')?.source, 'model');
  assert.equal(h.events.find((e) => e.type === 'duet.turn.held')?.probability, 0.2);
  const second = speech(h, 'item_b', 1300, 2200, 'for ten minutes');
  await h.scheduler.segment(second.item, second.segment, second.transcript);
  assert.equal(seen[1]!.frames, 4, 'the model judged the merged turn');
  assert.equal(h.classifyCalls(), 1);
  assert.equal(h.types().filter((t) => t === 'response.created').length, 1);
  h.lifetime.abort();
});

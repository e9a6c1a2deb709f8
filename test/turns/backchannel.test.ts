// Backchannels and fillers during an answer are noise, decided from the transcript without the
// monitor; short commands are always a query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackchannelClassifier } from '../../server/turns/backchannel.js';
import { DEFAULT_BACKCHANNEL_WORDS, DEFAULT_COMMAND_WORDS } from '../../server/turns/default-words.js';
import { ANSWER, answerText, harness, speech, tick } from '../support/scheduler-harness.js';

const classifier = new BackchannelClassifier(DEFAULT_BACKCHANNEL_WORDS, DEFAULT_COMMAND_WORDS);

test('transcripts made only of backchannels or fillers, of commands, or of anything else', () => {
  for (const t of ['Mm-hm.', 'mmhm', 'Yeah, right.', 'uh', 'Okay okay', 'I see.', 'Uh-huh!']) assert.equal(classifier.classify(t), 'backchannel', t);
  for (const t of ['Stop.', 'Wait!', 'uh, hold on', 'no no stop']) assert.equal(classifier.classify(t), 'command', t);
  for (const t of ['yeah but what about Paris', 'right now', 'stop the timer please', '', '...']) assert.equal(classifier.classify(t), null, t);
  assert.equal(classifier.classify(undefined), null);
  assert.equal(classifier.classify('genau', 'de-DE'), 'backchannel', 'per language');
  assert.equal(classifier.classify('Warte!', 'de'), 'command');
  assert.equal(classifier.classify('yeah', 'xx'), 'backchannel', 'unknown languages fall back to English');
  const custom = new BackchannelClassifier({ en: ['gotcha'] }, { en: ['halt'] });
  assert.equal(custom.classify('yeah'), null, 'the lists are configurable');
  assert.equal(custom.classify('Gotcha.'), 'backchannel');
});

async function answering(h: ReturnType<typeof harness>): Promise<void> {
  h.scheduler.createResponse();
  while (!h.events.some((e) => e.type === 'response.output_text.delta')) await tick(2);
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 300);
  h.scheduler.speechStopped();
}

test('a backchannel transcript during an answer is noise without a monitor call; the answer goes on', async () => {
  const h = harness({ decisions: ['<1>'], tokenDelayMs: 5 });
  await answering(h);
  const mhm = speech(h, 'item_mhm', 0, 600, 'Mm-hm.');
  await h.scheduler.segment(mhm.item, mhm.segment, mhm.transcript);
  assert.equal(h.classifyCalls(), 0, 'the monitor was not asked');
  const state = h.events.find((e) => e.type === 'duet.monitor.state');
  assert.deepEqual([state?.state, state?.action, state?.reason], ['<2>', 'resume', 'backchannel']);
  assert.equal(h.events.find((e) => e.type === 'duet.response.resumed')?.reason, 'noise');
  await h.scheduler.settle();
  assert.equal(answerText(h.events), ANSWER, 'the answer finished whole');
  assert.deepEqual((await h.metrics.backchannels.get()).values.map((v) => [v.labels.kind, v.value]), [['backchannel', 1]]);
});

test('a short command during an answer is a query without a monitor call, even when the monitor would say noise', async () => {
  const h = harness({ decisions: ['<2>'], tokenDelayMs: 5 });
  await answering(h);
  const stop = speech(h, 'item_stop', 0, 400, 'Wait, stop!');
  await h.scheduler.segment(stop.item, stop.segment, stop.transcript);
  assert.equal(h.classifyCalls(), 0);
  const state = h.events.find((e) => e.type === 'duet.monitor.state');
  assert.deepEqual([state?.state, state?.action, state?.reason], ['<1>', 'interrupt', 'command']);
  h.lifetime.abort();
});

test('outside an answer a backchannel word goes to the monitor; with turns.backchannels off it always does', async () => {
  const idle = harness({ decisions: ['<1>'] });
  const yeah = speech(idle, 'item_yeah', 0, 400, 'yeah');
  await idle.scheduler.segment(yeah.item, yeah.segment, yeah.transcript);
  assert.equal(idle.classifyCalls(), 1);
  idle.lifetime.abort();

  const off = harness({ decisions: ['<2>'], tokenDelayMs: 5 }, { turns: { backchannels: false } });
  await answering(off);
  const mhm = speech(off, 'item_mhm', 0, 600, 'mm-hm');
  await off.scheduler.segment(mhm.item, mhm.segment, mhm.transcript);
  assert.equal(off.classifyCalls(), 1);
  off.lifetime.abort();
});

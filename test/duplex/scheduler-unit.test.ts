// The interrupt scheduler through its narrow port, without sockets: an array of events stands in
// for the client, scripted instances for the models' answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UtteranceAnnouncement } from '../../server/scheduler/duplex-scheduler.js';
import type { StoredItem } from '../../server/conversation/conversation.js';
import type { Script } from '../../models/scripted/script.js';
import { harness as sharedHarness, tick, untilAnswering, type Sent } from '../support/scheduler-harness.js';
import type { AudioSegment } from '../../models/types.js';

const ANSWER = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty';

function harness(script: Partial<Script>, schedulerConfig: Record<string, unknown> = {}) {
  const h = sharedHarness({ replies: [{ text: ANSWER }, { text: 'Second answer.' }], tokenDelayMs: 5, decisions: ['<2>'], ...script }, { scheduler: schedulerConfig });
  h.conversation.add({ id: 'item_q', role: 'user', status: 'completed', parts: [{ type: 'input_text', text: 'Count to twenty.' }] });
  return h;
}

function speechItem(id: string): { item: StoredItem; segment: AudioSegment } {
  const segment: AudioSegment = { samples: new Float32Array(16000), sampleRate: 16000, startMs: 0, endMs: 1000 };
  return { item: { id, role: 'user', status: 'completed', parts: [{ type: 'input_audio', transcript: null, segment }] }, segment };
}

/** An announcement that records what the scheduler did with it. */
function recordingAnnouncement(events: Sent[]): UtteranceAnnouncement & { outcome: string } {
  const a = {
    holding: true,
    outcome: 'held',
    release() {
      a.holding = false;
      a.outcome = 'released';
      events.push({ type: 'held.released' });
    },
    discard() {
      a.holding = false;
      a.outcome = 'discarded';
    },
  };
  return a;
}


/** Speech over the answer, confirmed and ended, whose announcement the scheduler holds while the monitor decides. */
async function heldUtterance(h: ReturnType<typeof harness>, itemId: string): Promise<UtteranceAnnouncement & { outcome: string }> {
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 300);
  h.scheduler.speechStopped();
  const { item, segment } = speechItem(itemId);
  h.conversation.add(item);
  const announcement = recordingAnnouncement(h.events);
  await h.scheduler.segment(item, segment, undefined, announcement);
  return announcement;
}

test('tentative pause: the first speech frame pauses the answer, a blip resumes it, and nothing is lost', async () => {
  const h = harness({});
  await untilAnswering(h);
  h.scheduler.voiceOnset(10);
  const paused = h.events.find((e) => e.type === 'duet.response.paused');
  assert.equal(paused?.tentative, true);
  assert.equal(h.scheduler.state, 'paused');
  const deltasWhilePaused = h.events.length;
  await tick(30);
  assert.equal(h.events.length, deltasWhilePaused, 'no delta while paused');
  h.scheduler.voiceDropped();
  const resumed = h.events.find((e) => e.type === 'duet.response.resumed');
  assert.equal(resumed?.reason, 'blip');
  await h.scheduler.settle();
  const text = h.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
  assert.equal(text, ANSWER);
  const counts = await h.metrics.tentativePauses.get();
  assert.deepEqual(counts.values.map((v) => [v.labels.outcome, v.value]), [['blip', 1]]);
});

test('tentative pause confirmed by the VAD stays paused; the monitor then decides', async () => {
  const h = harness({ decisions: ['<2>'] });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 300); // confirmed 300 ms after the onset (minInterruptSpeechMs 200)
  h.scheduler.speechStopped();
  assert.equal(h.scheduler.state, 'paused', 'a confirmed pause waits for the monitor');
  assert.equal(h.events.filter((e) => e.type === 'duet.response.resumed').length, 0);
  const { item, segment } = speechItem('item_cough');
  h.conversation.add(item);
  await h.scheduler.segment(item, segment, undefined);
  assert.equal(h.events.find((e) => e.type === 'duet.response.resumed')?.reason, 'noise');
  const counts = await h.metrics.tentativePauses.get();
  assert.deepEqual(counts.values.map((v) => [v.labels.outcome, v.value]), [['confirmed', 1]]);
  h.lifetime.abort();
});

test('tentative pauses off: the first speech frame does not pause; confirmation does', async () => {
  const h = harness({}, { tentativePause: false });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  assert.equal(h.events.filter((e) => e.type === 'duet.response.paused').length, 0);
  h.scheduler.speechStarted(0, 300);
  const paused = h.events.find((e) => e.type === 'duet.response.paused');
  assert.equal(paused?.tentative, false);
  h.lifetime.abort();
});

test('a held utterance judged noise is discarded and leaves no item; the answer resumes', async () => {
  const h = harness({ decisions: ['<2>'] });
  await untilAnswering(h);
  const announcement = await heldUtterance(h, 'item_mhm');
  assert.equal(announcement.outcome, 'discarded');
  assert.equal(h.conversation.get('item_mhm'), undefined, 'the noise item is gone from the conversation');
  await h.scheduler.settle();
  const done = h.events.filter((e) => e.type === 'response.done');
  assert.equal(done.length, 1);
  assert.equal((done[0]!.response as { status: string }).status, 'completed');
});

test('a held utterance judged a query is released before the answer is cancelled, then answered', async () => {
  const h = harness({ decisions: ['<1>'] });
  await untilAnswering(h);
  const announcement = await heldUtterance(h, 'item_question');
  assert.equal(announcement.outcome, 'released');
  const types = h.types();
  const released = types.indexOf('held.released');
  const cancelled = h.events.findIndex((e) => e.type === 'response.done' && (e.response as { status: string }).status === 'cancelled');
  assert.ok(released >= 0 && cancelled > released, `released (${released}) before the cancellation (${cancelled})`);
  assert.ok(types.lastIndexOf('response.created') > cancelled, 'the query is answered');
  h.lifetime.abort();
});

test('the session-wide signal stops everything the scheduler started', async () => {
  const h = harness({ decisionDelayMs: 10000 });
  await untilAnswering(h);
  const { item, segment } = speechItem('item_late');
  h.conversation.add(item);
  const decision = h.scheduler.segment(item, segment, undefined);
  await tick(5);
  assert.equal(h.scheduler.pending().inflightDecisions, 1);
  h.lifetime.abort();
  await decision;
  assert.deepEqual(h.scheduler.pending(), { timers: 0, inflightDecisions: 0, activeResponse: false });
  const done = h.events.find((e) => e.type === 'response.done');
  assert.equal((done?.response as { status_details: { reason: string } }).status_details.reason, 'session_closed');
});

test('early verdict: noise over a paused answer resumes it at the first short pause, and the monitor is not asked twice', async () => {
  const h = harness({ decisions: ['<2>'] });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 300);
  assert.equal(h.scheduler.state, 'paused');
  const { item, segment } = speechItem('item_cough');
  assert.equal(h.scheduler.judgesPauses, true, 'a paused answer has its pauses judged');
  await h.scheduler.pauseStarted(segment, undefined);
  while (!h.events.some((e) => e.type === 'duet.response.resumed')) await tick(2);
  assert.equal(h.events.find((e) => e.type === 'duet.response.resumed')?.reason, 'noise', 'resumed before the silence timer ended the segment');
  h.scheduler.speechStopped();
  h.conversation.add(item);
  await h.scheduler.segment(item, segment, undefined);
  const calls = h.models.instances[0].classifyCalls.length + h.models.instances[1].classifyCalls.length;
  assert.equal(calls, 1, 'the early verdict was reused for the segment');
  assert.equal(h.events.filter((e) => e.type === 'duet.response.resumed').length, 1);
  await h.scheduler.settle();
  const text = h.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
  assert.equal(text, ANSWER);
});

test('early verdict: speech that goes on after the early resume pauses the answer again', async () => {
  const h = harness({ decisions: ['<2>'] });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 300);
  const { segment } = speechItem('item_more');
  await h.scheduler.pauseStarted(segment, undefined);
  while (!h.events.some((e) => e.type === 'duet.response.resumed')) await tick(2);
  assert.notEqual(h.scheduler.state, 'paused');
  h.scheduler.pauseEnded();
  assert.equal(h.scheduler.state, 'paused', 'the user went on speaking: the answer waits again');
  assert.equal(h.events.filter((e) => e.type === 'duet.response.paused').length, 2);
  h.lifetime.abort();
});

test('early verdict off: a pause during a paused answer is not judged', async () => {
  const h = harness({ decisions: ['<2>'] }, { earlyVerdict: false });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 300);
  assert.equal(h.scheduler.judgesPauses, false);
  h.lifetime.abort();
});

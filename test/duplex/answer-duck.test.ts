// Ducking (scheduler.duckMs): speech over a spoken answer first lowers it while it plays on, and
// pauses it only if the speech outlasts the duck, whatever the client's speech_started mode.
// The scheduler through its narrow port; the spoken channel's duck is tested through the socket
// (interruption-semantics.test.ts) and in test/voice/output-gain.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness as sharedHarness, speech, tick, untilAnswering, answerText } from '../support/scheduler-harness.js';

const ANSWER = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty';

function harness(decisions: ('<1>' | '<2>')[], scheduler: Record<string, unknown> = {}) {
  const h = sharedHarness({ replies: [{ text: ANSWER }, { text: 'Second answer.' }], tokenDelayMs: 40, decisions }, { scheduler: { duckMs: 120, duckAfterMs: 0, ...scheduler }, duckable: true });
  h.conversation.add({ id: 'item_q', role: 'user', status: 'completed', parts: [{ type: 'input_text', text: 'Count to twenty.' }] });
  return h;
}

const count = (h: ReturnType<typeof harness>, type: string) => h.events.filter((e) => e.type === type).length;
const deltas = (h: ReturnType<typeof harness>, from: number) => h.events.slice(from).filter((e) => e.type === 'response.output_text.delta');

/** An answer playing, and speech over it that began `sinceOnsetMs` ago, confirmed now. */
async function speechOverAnswer(decisions: ('<1>' | '<2>')[], scheduler: Record<string, unknown>, sinceOnsetMs: number) {
  const h = harness(decisions, scheduler);
  await untilAnswering(h);
  h.scheduler.voiceOnset(sinceOnsetMs);
  h.scheduler.speechStarted(0, sinceOnsetMs);
  return h;
}

/** The speech ends as a segment of `ms` and the monitor decides on it. */
async function segmentEnds(h: ReturnType<typeof harness>, id: string, ms: number): Promise<void> {
  const { item, segment } = speech(h, id, 0, ms);
  await h.scheduler.segment(item, segment, undefined);
}

async function ducks(h: ReturnType<typeof harness>): Promise<[string, number][]> {
  return (await h.metrics.answerDucks.get()).values.map((v) => [String(v.labels.outcome), v.value]);
}

test('the first speech frame ducks the answer, which plays on lowered; a blip brings it back, nothing lost', async () => {
  const h = harness(['<2>']);
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  const ducked = h.events.find((e) => e.type === 'duet.response.ducked');
  assert.equal(ducked?.tentative, true);
  assert.equal(ducked?.gain_db, -15);
  assert.equal(count(h, 'duet.response.paused'), 0);
  const at = h.events.length;
  await tick(80);
  assert.ok(deltas(h, at).length > 0, 'the answer goes on while ducked');
  assert.ok(deltas(h, at).every((e) => e.ducked === true), 'lowered');
  h.scheduler.voiceDropped();
  assert.equal(h.events.find((e) => e.type === 'duet.response.resumed')?.reason, 'blip');
  const back = h.events.length;
  await h.scheduler.settle();
  assert.ok(deltas(h, back).length > 0 && deltas(h, back).every((e) => e.ducked !== true), 'full level again');
  assert.equal(answerText(h.events), ANSWER);
  assert.deepEqual(await ducks(h), [['resumed', 1]]);
});

test('speech shorter than the duck keeps the answer lowered until the monitor calls it noise; it never pauses', async () => {
  // Speech that began 250 ms ago, confirmed now (past minInterruptSpeechMs), ends 30 ms later.
  const h = await speechOverAnswer(['<2>'], { duckMs: 400 }, 250);
  await tick(30);
  h.scheduler.speechStopped();
  await tick(200); // past duckMs: the speech ended before it
  assert.equal(count(h, 'duet.response.paused'), 0);
  assert.ok(h.channels[0]!.ducked, 'still lowered while the monitor decides');
  await segmentEnds(h, 'item_mhm', 400);
  assert.equal(h.events.find((e) => e.type === 'duet.response.resumed')?.reason, 'noise');
  await h.scheduler.settle();
  assert.equal(answerText(h.events), ANSWER);
  assert.deepEqual(await ducks(h), [['resumed', 1]]);
});

test('speech that outlasts the duck pauses the answer (no delta after), and a query then cuts it', async () => {
  // Confirmed 250 ms after the onset: the pause at the duck's end is firm.
  const h = await speechOverAnswer(['<1>'], { duckMs: 300 }, 250);
  await tick(200);
  const paused = h.events.findIndex((e) => e.type === 'duet.response.paused');
  assert.ok(paused > h.events.findIndex((e) => e.type === 'duet.response.ducked'), 'ducked, then paused');
  assert.equal(h.events[paused]!.tentative, false);
  await tick(60);
  assert.equal(deltas(h, paused).length, 0, 'nothing is sent once paused');
  h.scheduler.speechStopped();
  await segmentEnds(h, 'item_question', 1500);
  await h.scheduler.settle();
  assert.ok(h.events.some((e) => e.type === 'response.done' && (e.response as { status: string }).status === 'cancelled'));
  assert.deepEqual(await ducks(h), [['paused', 1]]);
});

test('at the end of the duck, speech the VAD hears as silent keeps it lowered; should the speech go on, the answer pauses', async () => {
  const h = harness(['<2>']);
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  h.scheduler.speechStarted(0, 40);
  h.vad.trailingSilenceMs = 100; // the word ended; speech_stopped waits for the silence timer
  await tick(200);
  assert.equal(count(h, 'duet.response.paused'), 0);
  h.vad.trailingSilenceMs = 0; // it goes on after all
  await tick(120);
  assert.equal(count(h, 'duet.response.paused'), 1);
  h.lifetime.abort();
});

test('duckMs 0: the answer pauses at once, no duck', async () => {
  const h = harness(['<2>'], { duckMs: 0 });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  assert.equal(count(h, 'duet.response.ducked'), 0);
  assert.equal(h.events.find((e) => e.type === 'duet.response.paused')?.tentative, true);
  h.lifetime.abort();
});

test('a session closing during a duck leaves no timer armed', async () => {
  const h = await speechOverAnswer(['<2>'], {}, 40);
  assert.ok(h.scheduler.pending().timers > 0);
  h.lifetime.abort();
  assert.equal(h.scheduler.pending().timers, 0);
});

test('speech within duckAfterMs of the answer starting to play pauses it (the user going on with their turn), later speech ducks it', async () => {
  const h = harness(['<2>'], { duckAfterMs: 150, duckMs: 2000 });
  await untilAnswering(h);
  h.scheduler.voiceOnset(0);
  assert.equal(count(h, 'duet.response.ducked'), 0);
  assert.equal(h.events.find((e) => e.type === 'duet.response.paused')?.tentative, true);
  h.scheduler.voiceDropped();
  await tick(200);
  h.scheduler.voiceOnset(0);
  assert.equal(count(h, 'duet.response.ducked'), 1, 'once the answer has played a while');
  h.lifetime.abort();
});

test('a client cancelling a ducked answer (response.cancel) leaves nothing armed and nothing sent after', async () => {
  const cancelled = await speechOverAnswer(['<2>'], {}, 40);
  assert.ok(cancelled.scheduler.cancelResponse());
  const at = cancelled.events.length;
  await tick(200); // past the duck
  assert.deepEqual(cancelled.events.slice(at).map((e) => e.type), [], 'no pause, no delta after the cancel');
  assert.equal(cancelled.scheduler.pending().timers, 0);
});

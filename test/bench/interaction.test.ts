// bench:interaction: the playback accounting its metrics rest on, the scripted model's audio rule
// and first-token delay it relies on, and one tiny scenario end to end (real server process, real
// sockets, real-time streaming). No timing is asserted: speed is what the benchmark reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Playback } from '../../scripts/bench/interaction/playback.js';
import { espeakAvailable } from '../../scripts/bench/interaction/sounds.js';
import { runInteractionBench } from '../../scripts/bench/interaction/main.js';
import { scriptedModelSet } from '../../models/scripted/index.js';

test('playback plays at 1x and records exactly which item samples were heard when (pause, underrun, clear)', () => {
  const speaker = new Float32Array(16 * 1000);
  const p = new Playback(0, speaker, 16);
  p.enqueue(0, 'a', 'r', new Float32Array(16 * 100).fill(0.5)); // 100 ms
  p.advance(40);
  assert.equal(p.playedMs('a'), 40);
  p.pause(40);
  p.advance(90); // paused: nothing plays, the buffer is kept
  assert.equal(p.bufferedMs(90), 60);
  p.resume(90);
  p.advance(200); // 60 ms left: plays 90..150, then runs dry
  assert.deepEqual(
    p.spans.map((s) => [s.startMs, s.endMs, s.from, s.to]),
    [
      [0, 40, 0, 640],
      [90, 150, 640, 1600],
    ],
  );
  assert.equal(speaker[16 * 60], 0, 'silence while paused');
  assert.equal(speaker[16 * 100], 0.5, 'the loudspeaker holds what played, on the wall clock');
  p.enqueue(300, 'a', 'r', new Float32Array(16 * 100)); // after an underrun the next delta starts when it arrives
  p.advance(320);
  assert.deepEqual(p.spans.at(-1), { itemId: 'a', responseId: 'r', startMs: 300, endMs: 320, from: 1600, to: 1920 });
  assert.equal(p.clear(320), 80, 'clear drops what was not played');
  p.advance(500);
  assert.equal(p.playedMs('a'), 120);
});

test('playback: a duck lowers only what is buffered (the page lowers its buffer; later deltas come lowered from the server), and full level returns at once', () => {
  const speaker = new Float32Array(16 * 1000);
  const p = new Playback(0, speaker, 16);
  p.enqueue(0, 'a', 'r', new Float32Array(16 * 100).fill(0.5));
  p.advance(40);
  assert.equal(p.playHead('a'), 16 * 40);
  p.setBufferedGain(40, 0.25);
  p.enqueue(50, 'a', 'r', new Float32Array(16 * 100).fill(0.5)); // arrives after the duck: at its own level
  p.advance(120);
  assert.equal(speaker[16 * 30], 0.5, 'played before the duck');
  assert.equal(speaker[16 * 60], 0.125, 'buffered at the duck: lowered');
  assert.equal(speaker[16 * 110], 0.5, 'sent after the duck: as received');
  p.setBufferedGain(120, 1);
  p.advance(200);
  assert.equal(speaker[16 * 150], 0.5);
  assert.equal(p.playHead('a'), 16 * 200);
});

test('scripted model: audioRule decides a segment by how long it is loud; firstTokenDelayMs delays only the first token', async () => {
  const { instances } = scriptedModelSet({ replies: [{ text: 'one two three' }], tokenDelayMs: 0, firstTokenDelayMs: 150, decisions: ['<1>'], rules: [], decisionDelayMs: 0, audioRule: { minQueryMs: 600, minLevelDbfs: -30 } });
  const tone = (ms: number, dbfs: number) => {
    const amplitude = 10 ** (dbfs / 20) * Math.SQRT2;
    const samples = Float32Array.from({ length: ms * 16 }, (_v, i) => amplitude * Math.sin((2 * Math.PI * 200 * i) / 16000));
    return { samples, sampleRate: 16000 as const, startMs: 0, endMs: ms };
  };
  const decide = async (ms: number, dbfs: number) => (await instances[1].classify({ segment: tone(ms, dbfs), history: [] })).token;
  assert.equal(await decide(1000, -20), 'query', 'a long loud segment is a query');
  assert.equal(await decide(400, -20), 'noise', 'a short one (a backchannel, a cough) is noise');
  assert.equal(await decide(1000, -40), 'noise', 'a quiet one (speech across the room) is noise');
  const started = performance.now();
  const times: number[] = [];
  for await (const e of instances[0].generate({ messages: [], signal: new AbortController().signal })) if (e.type === 'delta') times.push(performance.now() - started);
  assert.equal(times.length, 3);
  assert.ok(times[0]! >= 145, `first token after its delay (${times[0]} ms)`);
});

test('bench:interaction runs a barge-in end to end for a plain OpenAI client and a duet-aware one', { skip: espeakAvailable() ? false : 'espeak-ng is not installed' }, async () => {
  // A headset: no echo to cancel, so the client turns the canceller off (with it on, a barge-in in the
  // first second or two of an answer must be louder than the assistant's voice: see README).
  const r = await runInteractionBench({ scenarios: ['barge-in'], policies: ['openai', 'duet'], reps: 1, concurrency: 2, echoCancellation: false, write: false, print: false });
  assert.equal(r.records.length, 2);
  for (const rec of r.records) {
    const label = `${rec.policy}: ${JSON.stringify(rec.detail)}`;
    assert.equal(rec.failure, undefined, label);
    assert.deepEqual(rec.errors, [], label);
    // The first answer was heard, the barge-in stopped it after its onset, and the next answer played after the user's speech ended.
    assert.ok(rec.onsetToStopMs !== null && rec.onsetToStopMs >= 0, label);
    assert.ok(rec.responseLatencyMs !== null && rec.responseLatencyMs > 0, label);
    assert.equal(typeof rec.interruptionSuccess, 'boolean', label);
    assert.equal(typeof rec.falseInterruption, 'boolean', label);
    assert.ok(Number.isInteger(rec.audibleGaps) && Number.isInteger(rec.repeats) && Number.isInteger(rec.longestHoleMs), label);
    assert.ok((rec.detail.decisions as string[]).some((d) => d.endsWith('interrupt')), `${label}: the monitor interrupted the answer`);
  }
  const row = r.rows.find((x) => x.policy === 'duet')!;
  assert.equal(row.reps, 1);
  assert.equal(row.responseLatencyMs.n, 1);
  assert.deepEqual(r.settings.scriptedModel, { monitorMs: 80, firstTokenMs: 300, tokenMs: 20, audioRule: { minQueryMs: 600, minLevelDbfs: -30 } });
});

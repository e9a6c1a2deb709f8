// bench:conversation: the client's underrun accounting (synthetic arrival times), and a tiny run end
// to end (real server process, real sockets, espeak-ng answers). No timing is asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerListener, pcm16SamplesInBase64 } from '../../scripts/bench/conversation/listener.js';
import { runConversationBench } from '../../scripts/bench/conversation.js';
import { espeakAvailable } from '../../scripts/bench/interaction/sounds.js';

/** A 100 ms PCM16 24 kHz delta. */
const DELTA = Buffer.alloc(2400 * 2).toString('base64');

function audio(listener: AnswerListener, atMs: number, item = 'item_1', response = 'resp_1'): void {
  listener.onEvent({ atMs, event: { type: 'response.output_audio.delta', item_id: item, response_id: response, delta: DELTA } });
}

test('sample count from a base64 PCM16 delta', () => {
  assert.equal(pcm16SamplesInBase64(DELTA), 2400);
  assert.equal(pcm16SamplesInBase64(Buffer.alloc(6).toString('base64')), 3);
  assert.equal(pcm16SamplesInBase64(Buffer.alloc(4).toString('base64')), 2);
});

test('an underrun is a delta after the buffer of a still-going answer ran dry; pauses and new answers are not', () => {
  const t0 = performance.now() + 10;
  const l = new AnswerListener();
  audio(l, t0); // plays t0 .. t0+100
  audio(l, t0 + 50); // in time: buffer not dry
  assert.deepEqual(l.underrunsMs, []);
  audio(l, t0 + 230); // played out at t0+200: 30 ms of silence inside the answer
  assert.equal(l.underrunsMs.length, 1);
  assert.ok(Math.abs(l.underrunsMs[0]! - 30) < 1e-6, `gap ${l.underrunsMs[0]}`);
  // A pause in between: the silence is on purpose.
  l.onEvent({ atMs: t0 + 240, event: { type: 'duet.response.paused', tentative: false } });
  l.onEvent({ atMs: t0 + 600, event: { type: 'duet.response.resumed' } });
  audio(l, t0 + 900);
  assert.equal(l.underrunsMs.length, 1);
  // A new answer (new item) starts from silence: no underrun.
  audio(l, t0 + 5000, 'item_2', 'resp_2');
  assert.equal(l.underrunsMs.length, 1);
  assert.equal(l.firstAudioAt.get('resp_2'), t0 + 5000);
  assert.equal(l.firstAudioAt.get('resp_1'), t0);
});

test('bench:conversation runs a tiny level with a listen-only row, with the echo cancelled by the server and by the client', { skip: espeakAvailable() ? false : 'espeak-ng is not installed' }, async () => {
  const r = await runConversationBench({ levels: [2], levelMs: 5000, listenMs: 3000, echo: ['server', 'client'], write: false, print: false });
  assert.deepEqual(
    r.rows.map((x) => [x.echo, x.serverCancelsEchoSessions]),
    [
      ['server', 2],
      ['client', 0],
    ],
    'the client rows\' sessions turned Duet\'s canceller off',
  );
  assert.equal(r.echoComparison.length, 1);
  assert.ok(r.echoComparison[0]!.cpuPerSessionSecondRatio! > 0);
  assert.equal(r.rows[1]!.turns.missed, 0);
  for (const x of r.rows) assert.ok(x.turns.missedBargeIns <= x.turns.missed && x.turns.missedBargeIns <= x.turns.bargeIns, 'missed barge-ins are among the missed turns and the barge-ins');
  const row = r.rows[0]!;
  assert.equal(row.mode, 'conversation');
  assert.ok(row.turns.spoken >= 2, `spoken turns: ${row.turns.spoken}`);
  assert.ok(row.firstAudioMs.n >= 1, 'at least one spoken answer reached the client');
  assert.ok(row.speechStoppedMs.n >= 1);
  assert.ok(row.answers >= 1);
  assert.ok(row.serverCpuMsPerSessionSecond > 0 && Number.isFinite(row.serverLoopDelayP99Ms));
  assert.deepEqual(row.errors, {});
  const listen = r.listen!;
  assert.equal(listen.mode, 'listen');
  assert.equal(listen.firstAudioMs.n, 0, 'listen-only sessions get no answers');
  assert.ok(listen.speechStoppedMs.n >= 1);
  assert.ok(r.cpuVsListen !== null && r.cpuVsListen > 0);
});

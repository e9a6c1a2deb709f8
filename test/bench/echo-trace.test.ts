// npm run echo:trace: the canceller's frames as it saw them (EchoCancellerOptions.onFrame), and
// the barge-in's delta the trace reports, which must be bench:echo's for the same case.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SileroModel } from '../../server/audio/vad/silero.js';
import { traceEchoCase } from '../../scripts/bench/echo-trace.js';
import { runEarlyBargeInBench, type EarlyBargeInRow } from '../../scripts/bench/echo-early.js';
import { ANSWER, SECOND_ANSWER, USER_DBFS, espeakUserVoice } from '../../scripts/bench/echo.js';
import { speak } from '../support/espeak.js';
import { noEspeak, noSpeex } from '../support/echo-fixture.js';
import { ROOMS } from '../support/room.js';

let silero: SileroModel;
before(async () => {
  silero = await SileroModel.load({ version: 'v5' });
});
after(() => silero?.release());

test('echo:trace shows every 10 ms frame with the truth beside what the canceller saw', { skip: noEspeak || noSpeex }, async () => {
  const trace = (await traceEchoCase(silero, { room: ROOMS[0]!, echoDb: 0, atMs: 5000, answer: 1 }))!;
  assert.ok(trace.frames.length > 600, `${trace.frames.length} frames`);
  trace.frames.forEach((f, i) => assert.equal(f.ms, i * 10));
  // The microphone is the echo, the user and a -65 dBFS hiss: where the echo alone is loud, the
  // microphone is the echo.
  const echoOnly = trace.frames.filter((f) => f.ms < 5000 && f.echoDb > 55);
  assert.ok(echoOnly.length > 100, `${echoOnly.length} loud echo frames`);
  for (const f of echoOnly) assert.ok(Math.abs(f.micDb - f.echoDb) < 0.5, `${f.ms} ms: mic ${f.micDb.toFixed(1)} dB, echo ${f.echoDb.toFixed(1)} dB`);
  assert.ok(trace.frames.some((f) => f.ms >= 5000 && f.userDb > 55), 'the user speaks from 5 s');
  assert.ok(trace.frames.every((f) => f.userDb === Number.NEGATIVE_INFINITY || f.ms >= 5000), 'and not before');
  // The filter takes the echo out: placed by 3 s, its linear output well under the echo there.
  const late = echoOnly.filter((f) => f.ms >= 3000);
  assert.ok(late.length > 20 && late.every((f) => f.delayMs !== null && f.flags.startsWith('A')));
  const cancelled = late.filter((f) => f.linearDb < f.echoDb - 10).length;
  assert.ok(cancelled > late.length / 2, `the filter cancelled 10 dB in ${cancelled} of ${late.length} echo frames after 3 s`);
  // And the echo alone started no speech before the user did; the user did.
  assert.ok(trace.onsetsMs.every((t) => t >= 4900), `onsets ${trace.onsetsMs}`);
  assert.ok(trace.deltaMs !== null && trace.deltaMs <= 100, `barge-in ${trace.deltaMs} ms behind no echo`);
});

test("echo:trace reports the barge-in's delta as bench:echo's early rows do", { skip: noEspeak || noSpeex }, async () => {
  const room = ROOMS[1]!;
  const trace = (await traceEchoCase(silero, { room, echoDb: -6, atMs: 1000, answer: 1 }))!;
  const alone = (await traceEchoCase(silero, { room, echoDb: -6, atMs: 1000, answer: 1, alone: true }))!;
  assert.equal(alone.deltaMs, null);
  assert.deepEqual(alone.onsetsMs, [], 'the echo alone starts no speech');
  assert.ok(alone.frames.every((f) => f.userDb === Number.NEGATIVE_INFINITY));
  // The bench row over the same case, its 1 s column.
  const rows = await runEarlyBargeInBenchRow(room.name, -6);
  assert.equal(trace.deltaMs ?? 'missed', rows.at1000);
});

/** bench:echo's early row for one room and level, first answer (that row alone: 1-3 s in). */
async function runEarlyBargeInBenchRow(roomName: string, echoDb: number): Promise<EarlyBargeInRow> {
  const rows = await runEarlyBargeInBench(silero, speak(ANSWER)!, speak(SECOND_ANSWER)!, espeakUserVoice()!, USER_DBFS, { rooms: [roomName], levels: [echoDb], answers: [1] });
  assert.equal(rows.length, 1);
  return rows[0]!;
}

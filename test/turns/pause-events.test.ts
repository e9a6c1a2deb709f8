// The front-end's pause hook for speculative starts: pause_started once silence inside speech has
// lasted pauseEventMs, with the segment the silence timer would cut; pause_ended if speech resumes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AudioFrontEnd } from '../../server/audio/front-end.js';
import { melPreset } from '../../server/audio/mel/index.js';
import type { TurnEvent } from '../../server/audio/types.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { SileroModel } from '../../server/audio/vad/silero.js';
import { readWav } from '../support/wav.js';

let silero: SileroModel;
before(async () => {
  silero = await SileroModel.load({ version: 'v5' });
});
after(async () => {
  await silero.release();
});

async function listen(pauseEventMs: number, endAtFirstPause = false): Promise<TurnEvent[]> {
  const audio = readWav(new URL('../fixtures/speech/pause-within-turn.wav', import.meta.url));
  const events: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(silero),
    mel: melPreset('whisper'),
    turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    tuning: { negativeThresholdOffset: 0.15, minSpeechMs: 250, maxSegmentMs: 30000, maxVadBacklogMs: 600000, pauseEventMs },
    onEvent: (e) => {
      events.push(e);
      // As the session does when the end-of-turn model calls the pause complete (after its await).
      if (endAtFirstPause && e.type === 'pause_started' && events.filter((x) => x.type === 'pause_started').length === 1) {
        queueMicrotask(() => assert.equal(frontEnd.endTurnAtPause(), true));
      }
    },
  });
  for (let i = 0; i < audio.length; i += 320) {
    frontEnd.push(audio.subarray(i, i + 320));
    if (i % 16000 === 0) await frontEnd.whenIdle();
  }
  await frontEnd.whenIdle();
  frontEnd.close();
  return events;
}

test('a 300 ms pause inside a turn is reported and ended; the pause that ends a turn announces its segment exactly', async () => {
  const events = await listen(200);
  const kinds = events.map((e) => e.type).filter((t) => t !== 'voice_onset' && t !== 'voice_dropped');
  // Turn 1 ("Set a timer" <300 ms> "for ten minutes."), then turn 2 ("Thank you.").
  assert.deepEqual(kinds, ['speech_started', 'pause_started', 'pause_ended', 'pause_started', 'speech_stopped', 'segment', 'speech_started', 'pause_started', 'speech_stopped', 'segment']);
  const pauses = events.filter((e) => e.type === 'pause_started');
  const segments = events.flatMap((e) => (e.type === 'segment' ? [e.segment] : []));
  assert.ok(Math.abs(pauses[0]!.speechEndMs - 1376) < 100, `the first pause follows "Set a timer" (${pauses[0]!.speechEndMs} ms)`);
  for (const [pause, segment] of [[pauses[1]!, segments[0]!], [pauses[2]!, segments[1]!]] as const) {
    assert.equal(pause.segment.startMs, segment.startMs);
    assert.equal(pause.segment.endMs, segment.endMs, 'the speculated segment is the one the timer cuts');
    assert.equal(pause.segment.samples.length, segment.samples.length);
    assert.deepEqual(pause.segment.mel!.data, segment.mel!.data, 'with the same features');
  }
});

test('no pause events without pauseEventMs (the default)', async () => {
  const events = await listen(0);
  assert.equal(events.some((e) => e.type === 'pause_started' || e.type === 'pause_ended'), false);
});

test('a pause the end-of-turn model calls complete ends the turn there, as the timer would have', async () => {
  const events = await listen(200, true);
  const kinds = events.map((e) => e.type).filter((t) => t !== 'voice_onset' && t !== 'voice_dropped');
  // "Set a timer" ends at its 300 ms pause; "for ten minutes." becomes a turn of its own.
  assert.deepEqual(kinds.slice(0, 5), ['speech_started', 'pause_started', 'speech_stopped', 'segment', 'speech_started']);
  const pause = events.find((e) => e.type === 'pause_started')!;
  const segment = events.find((e) => e.type === 'segment')!;
  assert.equal(segment.segment.endMs, pause.speechEndMs);
  assert.deepEqual(segment.segment.mel!.data, pause.segment.mel!.data);
  assert.equal(events.filter((e) => e.type === 'segment').length, 3);
});

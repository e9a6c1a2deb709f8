// VAD frames at the room's noise floor skip the model (server/audio/vad/quiet-frames.ts): the rule
// on synthetic levels, then the front-end with the real Silero model on speech over room noise,
// against the same audio with every frame going to the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AudioFrontEnd } from '../../server/audio/front-end.js';
import { melPreset } from '../../server/audio/mel/index.js';
import type { TurnEvent } from '../../server/audio/types.js';
import { QuietFrames } from '../../server/audio/vad/quiet-frames.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { SileroModel } from '../../server/audio/vad/silero.js';
import { readWav } from '../support/wav.js';

/** A 512-sample frame of uniform noise at `dbfs` RMS (seeded). */
function noiseFrame(dbfs: number, seed: number): Float32Array {
  const amp = 10 ** (dbfs / 20) * Math.sqrt(3);
  let s = seed * 2654435761 || 1;
  return Float32Array.from({ length: 512 }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (((s >>> 0) / 4294967296) * 2 - 1) * amp;
  });
}

test('quiet frames: after a second of the room, three in four frames at its floor skip the model; louder ones (or one louder quarter), speech forming, or a model not yet calling it silent never do', () => {
  const q = new QuietFrames();
  let seed = 1;
  q.heard(0.02);
  // The floor must have seen a second first.
  for (let i = 0; i < 31; i++) assert.equal(q.skip(noiseFrame(-60, seed++), true), false, `frame ${i} before the floor is known`);
  const verdicts: boolean[] = [];
  for (let i = 0; i < 40; i++) {
    const skipped = q.skip(noiseFrame(-60, seed++), true);
    verdicts.push(skipped);
    if (!skipped) q.heard(0.02); // the model saw it and called it silent
  }
  assert.equal(verdicts.filter(Boolean).length, 30, 'three in four skipped');
  assert.deepEqual(verdicts.slice(0, 8), [true, true, true, false, true, true, true, false]);
  assert.equal(q.skip(noiseFrame(-50, seed++), true), false, '10 dB over the floor: a sound the model must hear');
  q.heard(0.02);
  // A word starting in the frame's last 8 ms: 5 dB up there, under 2 dB over the whole frame.
  const onset = noiseFrame(-60, seed++);
  onset.set(noiseFrame(-55, seed++).subarray(384), 384);
  assert.equal(q.skip(onset, true), false, 'a quarter above the room: the model must hear it');
  q.heard(0.02);
  assert.equal(q.skip(noiseFrame(-60, seed++), false), false, 'speech forming or going on (not idle)');
  q.heard(0.2);
  assert.equal(q.skip(noiseFrame(-60, seed++), true), false, 'the model last heard something (0.2): it must see what follows');
  q.heard(0.05);
  assert.equal(q.skip(noiseFrame(-60, seed++), true), true);
  assert.equal(q.probability, 0.05, 'a skipped frame counts as the model last said');
});

test('quiet frames: the floor follows a room that gets louder within about a second, and digital silence is skipped at once', () => {
  const fan = new QuietFrames();
  fan.heard(0.01);
  let seed = 100;
  for (let i = 0; i < 64; i++) fan.skip(noiseFrame(-70, seed++), true);
  // A fan starts: 15 dB louder, and stays.
  const skippedAt: number[] = [];
  for (let i = 0; i < 80; i++) {
    if (fan.skip(noiseFrame(-55, seed++), true)) skippedAt.push(i);
    else fan.heard(0.01);
  }
  assert.ok(skippedAt.length > 0 && skippedAt[0]! >= 24 && skippedAt[0]! <= 40, `the fan is the room after ${skippedAt[0]} frames`);

  const muted = new QuietFrames();
  muted.heard(0.01);
  assert.equal(muted.skip(new Float32Array(512), true), true, 'zeros: no floor needed');
});

test('front-end with Silero on speech over -60 dBFS room noise: the model skips at least a fifth of the frames, and the turns are the ones it finds seeing every frame (within a frame)', async () => {
  const model = await SileroModel.load({ version: 'v5' });
  try {
    const dir = new URL('../fixtures/speech/', import.meta.url);
    const runs: { turns: [number, number][]; quiet: number; frames: number }[] = [];
    for (const skipQuietFrames of [false, true]) {
      const turns: [number, number][] = [];
      let frames = 0;
      let quiet = 0;
      for (const name of ['two-turns-clean', 'pause-within-turn', 'noise-bursts']) {
        const speech = readWav(new URL(`${name}.wav`, dir));
        const audio = new Float32Array(speech.length + 32000);
        audio.set(speech, 16000); // a second of the room before and after
        for (let at = 0; at + 512 <= audio.length; at += 512) {
          const n = noiseFrame(-60, at + 7);
          for (let i = 0; i < 512; i++) audio[at + i]! += n[i]!;
        }
        const events: TurnEvent[] = [];
        const scheduler = new VadScheduler(model);
        const frontEnd = new AudioFrontEnd({
          vad: scheduler,
          mel: melPreset('whisper'),
          turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 0, silence_duration_ms: 500 },
          tuning: { negativeThresholdOffset: 0.15, minSpeechMs: 250, maxSegmentMs: 30000, maxVadBacklogMs: 600000, vadStateResetMs: 5000, skipQuietFrames },
          onEvent: (e) => events.push(e),
        });
        for (let i = 0; i < audio.length; i += 320) frontEnd.push(audio.subarray(i, i + 320));
        await frontEnd.whenIdle();
        frames += scheduler.stats.frames + frontEnd.quietVadFrames;
        quiet += frontEnd.quietVadFrames;
        frontEnd.close();
        const truth = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as { turns: unknown[] };
        const found = events.filter((e) => e.type === 'speech_started').length;
        assert.equal(found, truth.turns.length, `${name}, skipQuietFrames ${skipQuietFrames}: ${found} turns`);
        for (const e of events) if (e.type === 'speech_started') turns.push([e.audioStartMs, 0]);
        let k = turns.length - found;
        for (const e of events) if (e.type === 'speech_stopped') turns[k++]![1] = e.audioEndMs;
      }
      runs.push({ turns, quiet, frames });
    }
    const [all, skipping] = runs;
    assert.equal(all!.quiet, 0);
    assert.ok(skipping!.quiet >= skipping!.frames / 5, `${skipping!.quiet} of ${skipping!.frames} frames skipped`);
    assert.equal(skipping!.turns.length, all!.turns.length);
    skipping!.turns.forEach(([start, end], i) => {
      assert.ok(Math.abs(start - all!.turns[i]![0]) <= 32 && Math.abs(end - all!.turns[i]![1]) <= 32, `turn ${i}: ${start}-${end} ms against ${all!.turns[i]!.join('-')}`);
    });
  } finally {
    await model.release();
  }
});

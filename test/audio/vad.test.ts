import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SileroModel, SileroState, VAD_FRAME_SAMPLES, type VadModel } from '../../server/audio/vad/silero.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { TurnDetector, type TurnDecision } from '../../server/audio/vad/turn-detector.js';
import { SampleWindow } from '../../server/audio/vad/sample-window.js';
import { readWav } from '../support/wav.js';

const FRAME = VAD_FRAME_SAMPLES;


const speech = readWav(new URL('../fixtures/speech/two-turns-clean.wav', import.meta.url));

function detect(probabilities: number[], settings = { threshold: 0.5, negativeThreshold: 0.35, minSpeechMs: 64, silenceDurationMs: 96 }) {
  const detector = new TurnDetector(settings);
  const out: (TurnDecision & { frame: number })[] = [];
  probabilities.forEach((p, frame) => {
    const d = detector.push(p, frame * FRAME, FRAME);
    if (d) out.push({ ...d, frame });
  });
  return out;
}

test('turn detector: a candidate may begin before its first frame (the frames the caller knows led it), and is confirmed counting them', () => {
  // 128 ms: 4 frames, the two led and two heard.
  const detector = new TurnDetector({ threshold: 0.5, negativeThreshold: 0.35, minSpeechMs: 128, silenceDurationMs: 96 });
  assert.equal(detector.push(0.9, 3 * FRAME, FRAME, FRAME), null);
  assert.equal(detector.pendingSpeechStart, FRAME);
  assert.deepEqual(detector.push(0.9, 4 * FRAME, FRAME, 0), { type: 'start', speechStartSample: FRAME }, 'only the frame starting a candidate is led');
  const late = new TurnDetector({ threshold: 0.5, negativeThreshold: 0.35, minSpeechMs: 96, silenceDurationMs: 96 });
  late.push(0.9, 3 * FRAME, FRAME, 5 * FRAME);
  assert.equal(late.pendingSpeechStart, 3 * FRAME, 'never later than the frame itself');
});

test('turn detector: confirmed after the minimum speech, started at the first speech frame', () => {
  // 32 ms frames: minimum speech 64 ms = 2 frames, silence 96 ms = 3 frames.
  const decisions = detect([0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1]);
  assert.deepEqual(decisions, [
    { type: 'start', speechStartSample: FRAME, frame: 2 },
    { type: 'end', speechEndSample: 4 * FRAME, frame: 6 },
  ]);
});

test('turn detector: a blip shorter than the minimum speech is dropped', () => {
  assert.deepEqual(detect([0.1, 0.9, 0.1, 0.1, 0.9, 0.2, 0.1]), []);
});

test('turn detector: hysteresis keeps speech on between the thresholds', () => {
  // 0.4 is below the on threshold but above the off one: neither starts silence nor ends speech.
  const decisions = detect([0.9, 0.9, 0.4, 0.4, 0.4, 0.4, 0.4, 0.9, 0.2, 0.2, 0.2]);
  assert.deepEqual(decisions, [
    { type: 'start', speechStartSample: 0, frame: 1 },
    { type: 'end', speechEndSample: 8 * FRAME, frame: 10 },
  ]);
  // ...and 0.4 alone never starts speech.
  assert.deepEqual(detect([0.4, 0.4, 0.4, 0.4]), []);
});

test('turn detector: the turn ends after the last confident frame, not after the hangover', () => {
  // 0.4 frames after speech are Silero's hangover: speech stays on, but the end is placed before them.
  const decisions = detect([0.9, 0.9, 0.4, 0.4, 0.2, 0.2, 0.2]);
  assert.deepEqual(decisions.at(-1), { type: 'end', speechEndSample: 2 * FRAME, frame: 6 });
});

test('turn detector: a pause shorter than the silence duration does not end the turn', () => {
  const decisions = detect([0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1]);
  assert.deepEqual(
    decisions.map((d) => d.type),
    ['start', 'end'],
  );
  assert.equal((decisions[1] as { speechEndSample: number }).speechEndSample, 6 * FRAME);
});

test('turn detector: settings change live', () => {
  const detector = new TurnDetector({ threshold: 0.5, negativeThreshold: 0.35, minSpeechMs: 0, silenceDurationMs: 0 });
  assert.equal(detector.push(0.6, 0, FRAME)?.type, 'start');
  detector.update({ threshold: 0.8, negativeThreshold: 0.7, minSpeechMs: 0, silenceDurationMs: 0 });
  assert.deepEqual(detector.push(0.6, FRAME, FRAME), { type: 'end', speechEndSample: FRAME });
  assert.equal(detector.push(0.75, 2 * FRAME, FRAME), null);
});

test('sample window: absolute indexing survives discards, compaction and growth', () => {
  const w = new SampleWindow(64);
  const all: number[] = [];
  for (let chunk = 0; chunk < 50; chunk++) {
    const part = Float32Array.from({ length: (chunk * 7) % 23 + 1 }, (_, i) => all.length + i);
    all.push(...part);
    w.append(part);
    w.discardBefore(all.length - 40);
    assert.equal(w.end, all.length);
    assert.deepEqual(Array.from(w.view(w.start, w.end)), all.slice(w.start));
  }
  assert.ok(w.held <= 40);
  assert.throws(() => w.view(w.start - 1, w.end), RangeError);
  w.clear();
  assert.equal(w.start, all.length);
  assert.equal(w.held, 0);
});

for (const version of ['v5', 'v4'] as const) {
  test(`Silero ${version}: speech scores high, silence and noise low`, async () => {
    const model = await SileroModel.load({ version });
    try {
      assert.equal(model.version, version);
      const state = model.newState();
      let speechMax = 0;
      for (let s = 0; s + FRAME <= 48000; s += FRAME) {
        const [p] = await model.infer([speech.subarray(s, s + FRAME)], [state]);
        speechMax = Math.max(speechMax, p);
      }
      assert.ok(speechMax > 0.9, `speech max ${speechMax}`);
      const quiet = model.newState();
      let silenceMax = 0;
      for (let i = 0; i < 30; i++) silenceMax = Math.max(silenceMax, (await model.infer([new Float32Array(FRAME)], [quiet]))[0]);
      assert.ok(silenceMax < 0.2, `silence max ${silenceMax}`);
    } finally {
      await model.release();
    }
  });

  test(`Silero ${version}: a batch gives each stream what it gets alone`, async () => {
    const model = await SileroModel.load({ version });
    try {
      const streams = 5;
      const offsets = [0, 9000, 20000, 31000, 42000];
      const alone = offsets.map(() => model.newState());
      const batched = offsets.map(() => model.newState());
      for (let step = 0; step < 12; step++) {
        const frames = offsets.map((o) => speech.subarray(o + step * FRAME, o + (step + 1) * FRAME));
        const together = await model.infer(frames, batched);
        for (let i = 0; i < streams; i++) {
          const [single] = await model.infer([frames[i]], [alone[i]]);
          assert.ok(Math.abs(single - together[i]) < 1e-5, `stream ${i} step ${step}: ${single} vs ${together[i]}`);
        }
      }
    } finally {
      await model.release();
    }
  });
}

test('a file that is not a Silero model is refused; a generation mismatch too', async () => {
  await assert.rejects(SileroModel.load({ path: new URL('../fixtures/speech/noise-only.wav', import.meta.url).pathname }));
  const { sileroModelPath } = await import('../../server/audio/vad/silero.js');
  await assert.rejects(SileroModel.load({ path: sileroModelPath('v4'), version: 'v5' }), /v4 model, configured as v5/);
});

/** A model whose probability is the frame's peak amplitude; records batch sizes. */
class ScriptedModel implements VadModel {
  batches: number[] = [];
  newState(): SileroState {
    return new SileroState();
  }
  async infer(frames: readonly Float32Array[], states: readonly SileroState[], count = frames.length): Promise<Float32Array> {
    this.batches.push(count);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      states[i].state[0] += 1; // counts frames per stream
      out[i] = Math.max(...frames[i]);
    }
    await new Promise((r) => setTimeout(r, 1));
    return out;
  }
}

test('scheduler: frames that wait together share one inference, results go to their streams', async () => {
  const model = new ScriptedModel();
  const scheduler = new VadScheduler(model, { maxBatch: 8 });
  const streams = Array.from({ length: 20 }, () => scheduler.createStream());
  const results = await Promise.all(streams.map((s, i) => s.infer(new Float32Array(FRAME).fill(i / 100))));
  assert.deepEqual(results.map((p) => Math.round(p * 100)), streams.map((_, i) => i));
  assert.deepEqual(model.batches, [8, 8, 4]);
  assert.deepEqual({ ...scheduler.stats }, { inferences: 3, frames: 20, largestBatch: 8 });
  for (const s of streams) assert.equal(s.state.state[0], 1);
});

test('scheduler: a frame waits up to batchWindowMs for other streams, never when every live stream is waiting', async () => {
  const model = new ScriptedModel();
  const scheduler = new VadScheduler(model, { batchWindowMs: 300 });
  const streams = [scheduler.createStream(), scheduler.createStream(), scheduler.createStream()];
  // Two of three streams, 5 ms apart: one batch of two once the window ends.
  const first = streams[0]!.infer(new Float32Array(FRAME));
  await new Promise((r) => setTimeout(r, 5));
  const second = streams[1]!.infer(new Float32Array(FRAME));
  await Promise.all([first, second]);
  assert.deepEqual(model.batches, [2]);
  // All three waiting: no window (with a window of a minute this would hang the test).
  const slow = new VadScheduler(model, { batchWindowMs: 60000 });
  const all = [slow.createStream(), slow.createStream()];
  await Promise.all(all.map((s) => s.infer(new Float32Array(FRAME))));
  // A closed stream no longer counts: the one left runs alone at once.
  all[1]!.close();
  await all[0]!.infer(new Float32Array(FRAME));
  assert.deepEqual(model.batches, [2, 2, 1]);
  scheduler.close();
  slow.close();
});

test('scheduler: a stream answered by a batch rides in the very next one (a stream behind its audio gets a frame a batch)', async () => {
  // Another stream's frame arrives while each batch runs; stream A (value 1) has four frames
  // waiting and asks for the next as soon as one is answered.
  const others: Array<() => void> = [];
  const tags: number[][] = [];
  const model = new ScriptedModel();
  const infer = model.infer.bind(model);
  model.infer = (frames, states, count = frames.length) => {
    tags.push(frames.slice(0, count).map((f) => f[0]!));
    others.shift()?.();
    return infer(frames, states, count);
  };
  const scheduler = new VadScheduler(model);
  const a = scheduler.createStream();
  const rest = Array.from({ length: 4 }, () => scheduler.createStream());
  const pending: Promise<number>[] = [];
  for (const [k, s] of rest.entries()) others.push(() => void pending.push(s.infer(new Float32Array(FRAME).fill(2 + k))));
  for (let frame = 0; frame < 4; frame++) await a.infer(new Float32Array(FRAME).fill(1));
  await Promise.all(pending);
  const withA = tags.flatMap((t, i) => (t.includes(1) ? [i] : []));
  assert.deepEqual(withA, [0, 1, 2, 3], `batches ${JSON.stringify(tags)}`);
  scheduler.close();
});

test('scheduler: one frame in flight per stream; maxBatch 1 turns batching off', async () => {
  const model = new ScriptedModel();
  const scheduler = new VadScheduler(model, { maxBatch: 1 });
  const a = scheduler.createStream();
  const b = scheduler.createStream();
  const first = a.infer(new Float32Array(FRAME));
  await assert.rejects(a.infer(new Float32Array(FRAME)), /in flight/);
  await Promise.all([first, b.infer(new Float32Array(FRAME))]);
  assert.deepEqual(model.batches, [1, 1]);
  await assert.rejects(a.infer(new Float32Array(10)), RangeError);
});

test('scheduler: closing a stream or the scheduler rejects waiting frames', async () => {
  const scheduler = new VadScheduler(new ScriptedModel());
  const a = scheduler.createStream();
  const waiting = a.infer(new Float32Array(FRAME));
  a.close();
  await assert.rejects(waiting, /closed/);
  const b = scheduler.createStream();
  const pending = b.infer(new Float32Array(FRAME));
  scheduler.close();
  await assert.rejects(pending, /closed/);
  assert.throws(() => scheduler.createStream(), /closed/);
});

test('scheduler: a failing model rejects the batch and keeps serving', async () => {
  let fail = true;
  const model: VadModel = {
    newState: () => new SileroState(),
    infer: async (_f, _s, count = 0) => {
      if (fail) {
        fail = false;
        throw new Error('boom');
      }
      return new Float32Array(count).fill(0.5);
    },
  };
  const scheduler = new VadScheduler(model);
  const s = scheduler.createStream();
  await assert.rejects(s.infer(new Float32Array(FRAME)), /boom/);
  assert.equal(await s.infer(new Float32Array(FRAME)), 0.5);
});

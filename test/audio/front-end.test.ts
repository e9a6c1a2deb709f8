// Front-end logic with a scripted VAD (probability = the frame's peak amplitude), so the
// timing is exact and the tests need no model. Real speech: front-end-speech.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioFrontEnd, type FrontEndTuning } from '../../server/audio/front-end.js';
import { StreamingMelEncoder, melPreset } from '../../server/audio/mel/index.js';
import type { TurnEvent } from '../../server/audio/types.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { SileroState, type VadModel } from '../../server/audio/vad/silero.js';
import type { AudioSegment } from '../../models/types.js';
import type { SpeechOnsetGate } from '../../server/audio/echo/session-echo.js';

class ScriptedModel implements VadModel {
  /** Random completion delays exercise the async path (ordering must not depend on them). */
  constructor(private readonly maxDelayMs = 0) {}
  newState(): SileroState {
    return new SileroState();
  }
  async infer(frames: readonly Float32Array[], _states: readonly SileroState[], count = frames.length): Promise<Float32Array> {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let peak = 0;
      for (const v of frames[i]) peak = Math.max(peak, Math.abs(v));
      out[i] = peak;
    }
    if (this.maxDelayMs > 0) await new Promise((r) => setTimeout(r, Math.random() * this.maxDelayMs));
    return out;
  }
}

const TUNING: FrontEndTuning = { negativeThresholdOffset: 0.15, minSpeechMs: 64, maxSegmentMs: 30000, maxVadBacklogMs: 5000, vadStateResetMs: 5000 };
// Tests push faster than real time; let the VAD lag as far as it needs.
const PATIENT: Partial<FrontEndTuning> = { maxVadBacklogMs: 600000 };
const VAD = { type: 'server_vad' as const, threshold: 0.5, prefix_padding_ms: 0, silence_duration_ms: 192 };

/** Speech stand-in: 0.9-peak tone in [fromMs, toMs) windows, faint distinct values elsewhere. */
function layout(totalMs: number, bursts: [number, number][]): Float32Array {
  const x = new Float32Array(totalMs * 16);
  for (let i = 0; i < x.length; i++) x[i] = ((i % 97) - 48) * 1e-5; // faint, and distinct per position
  for (const [from, to] of bursts) for (let i = from * 16; i < to * 16; i++) x[i] = 0.9 * Math.sin(i * 0.3);
  return x;
}

interface Run {
  /** Turn events (speech_started, speech_stopped, segment), in order. */
  events: TurnEvent[];
  /** Everything the front-end emitted, voice_onset and voice_dropped included. */
  all: TurnEvent[];
  segments: AudioSegment[];
  frontEnd: AudioFrontEnd;
}

async function run(
  input: Float32Array,
  options: { turnDetection?: typeof VAD | null; tuning?: Partial<FrontEndTuning>; chunk?: number[]; delayMs?: number; mel?: boolean; onsetGate?: SpeechOnsetGate } = {},
): Promise<Run> {
  const all: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(new ScriptedModel(options.delayMs ?? 0)),
    mel: options.mel ? melPreset('whisper') : null,
    turnDetection: options.turnDetection === undefined ? VAD : options.turnDetection,
    tuning: { ...TUNING, ...PATIENT, ...options.tuning },
    onsetGate: options.onsetGate,
    onEvent: (e) => all.push(e),
    onError: (e) => {
      throw e;
    },
  });
  const chunks = options.chunk ?? [480];
  for (let offset = 0, i = 0; offset < input.length; i++) {
    const size = chunks[i % chunks.length];
    frontEnd.push(input.subarray(offset, offset + size));
    offset += size;
    if (i % 4 === 0) await new Promise(setImmediate); // let VAD results interleave with pushes
  }
  await frontEnd.whenIdle();
  const events = all.filter((e) => e.type !== 'voice_onset' && e.type !== 'voice_dropped');
  const segments = events.flatMap((e) => (e.type === 'segment' ? [e.segment] : []));
  return { events, all, segments, frontEnd };
}

/** Every segment is exactly the input at [startMs, endMs), and segments are ordered and disjoint. */
function assertExactAccounting(input: Float32Array, segments: AudioSegment[]): void {
  let previousEnd = 0;
  for (const s of segments) {
    const start = s.startMs * 16;
    const end = s.endMs * 16;
    assert.ok(Number.isInteger(start) && Number.isInteger(end), `integral sample bounds ${start} ${end}`);
    assert.ok(start >= previousEnd, `segment at ${s.startMs} ms overlaps the previous one ending at ${previousEnd / 16} ms`);
    assert.equal(s.samples.length, end - start);
    assert.deepEqual(s.samples, input.subarray(start, end));
    previousEnd = end;
  }
}

test('speech bursts give started/stopped/segment in order, with frame-exact timing', async () => {
  const input = layout(3000, [
    [512, 1024],
    [1600, 2208],
  ]);
  const { events, segments } = await run(input, { chunk: [1, 7, 160, 4096, 333] });
  assert.deepEqual(
    events.map((e) => e.type),
    ['speech_started', 'speech_stopped', 'segment', 'speech_started', 'speech_stopped', 'segment'],
  );
  // Bursts are frame aligned (32 ms), so onsets and offsets are exact.
  assert.deepEqual(events[0], { type: 'speech_started', audioStartMs: 512, speechOnsetMs: 512 });
  assert.deepEqual(events[1], { type: 'speech_stopped', audioEndMs: 1024 });
  assert.deepEqual(
    segments.map((s) => [s.startMs, s.endMs]),
    [
      [512, 1024],
      [1600, 2208],
    ],
  );
  assertExactAccounting(input, segments);
});

test('prefix padding moves the start back, never into the previous segment', async () => {
  const input = layout(2500, [
    [640, 960],
    [1280, 1600],
  ]);
  const { events, segments } = await run(input, { turnDetection: { ...VAD, prefix_padding_ms: 300 } });
  assert.deepEqual(events[0], { type: 'speech_started', audioStartMs: 340, speechOnsetMs: 640 });
  // The second onset at 1280 would pad back to 980, but the first segment ends at 960 + 0.
  assert.deepEqual(
    segments.map((s) => [s.startMs, s.endMs]),
    [
      [340, 960],
      [980, 1600],
    ],
  );
  const tight = await run(input, { turnDetection: { ...VAD, prefix_padding_ms: 500, silence_duration_ms: 160 } });
  assert.deepEqual(
    tight.segments.map((s) => [s.startMs, s.endMs]),
    [
      [140, 960],
      [960, 1600],
    ],
  );
  assertExactAccounting(input, tight.segments);
});

test('async VAD completions in any timing neither reorder nor lose audio', async () => {
  const bursts: [number, number][] = [];
  for (let t = 300; t < 9000; t += 900) bursts.push([t, t + 320 + (t % 7) * 32]);
  const input = layout(10000, bursts);
  const reference = await run(input);
  const delayed = await run(input, { delayMs: 3, chunk: [2048, 5, 999] });
  assert.equal(reference.segments.length, bursts.length);
  assert.deepEqual(
    delayed.events.map((e) => (e.type === 'segment' ? [e.type, e.segment.startMs, e.segment.endMs] : [e.type])),
    reference.events.map((e) => (e.type === 'segment' ? [e.type, e.segment.startMs, e.segment.endMs] : [e.type])),
  );
  assertExactAccounting(input, delayed.segments);
});

test('short blips and quiet audio give no segment', async () => {
  const { events } = await run(layout(3000, [[1000, 1020]])); // within one 32 ms frame
  assert.deepEqual(events, []);
});

test('a blip is announced as possible speech at its first frame, then dropped', async () => {
  const { all } = await run(layout(3000, [[1000, 1020]]));
  // 1000 ms falls in the frame starting at sample 15872 (31 frames of 512): onset at 992 ms.
  assert.deepEqual(all, [{ type: 'voice_onset', speechOnsetMs: 992 }, { type: 'voice_dropped' }]);
});

test('confirmed speech: voice_onset comes first, at the same onset speech_started reports, and is never dropped', async () => {
  const { all } = await run(layout(2000, [[320, 1200]]));
  assert.equal(all[0]?.type, 'voice_onset');
  assert.equal(all[1]?.type, 'speech_started');
  assert.equal((all[0] as { speechOnsetMs: number }).speechOnsetMs, (all[1] as { speechOnsetMs: number }).speechOnsetMs);
  assert.equal(all.filter((e) => e.type === 'voice_dropped').length, 0);
  assert.equal(all.filter((e) => e.type === 'voice_onset').length, 1);
});

test('speech longer than the cap is handed on in pieces that tile it exactly', async () => {
  const input = layout(4000, [[320, 3200]]);
  const { events, segments } = await run(input, { tuning: { maxSegmentMs: 1000 } });
  assert.deepEqual(
    events.map((e) => (e.type === 'segment' ? `segment:${e.reason}` : e.type)),
    [
      'speech_started',
      'speech_stopped',
      'segment:max_length',
      'speech_started',
      'speech_stopped',
      'segment:max_length',
      'speech_started',
      'speech_stopped',
      'segment:vad',
    ],
  );
  assert.deepEqual(
    segments.map((s) => [s.startMs, s.endMs]),
    [
      [320, 1320],
      [1320, 2320],
      [2320, 3200],
    ],
  );
  assertExactAccounting(input, segments);
});

test('manual mode: commits return everything since the last commit, exactly, nothing twice', async () => {
  const input = layout(2000, [[100, 900]]);
  const events: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({ vad: null, mel: null, turnDetection: null, tuning: TUNING, onEvent: (e) => events.push(e) });
  const commits: AudioSegment[] = [];
  let offset = 0;
  for (const [size, commit] of [
    [5000, true],
    [3, true],
    [7000, false],
    [8000, true],
  ] as const) {
    frontEnd.push(input.subarray(offset, offset + size));
    offset += size;
    if (commit) commits.push(frontEnd.commit()!);
  }
  assert.equal(frontEnd.commit(), null, 'nothing left to commit');
  frontEnd.push(input.subarray(offset, offset + 1000));
  frontEnd.clear();
  offset += 1000;
  frontEnd.push(input.subarray(offset));
  commits.push(frontEnd.commit()!);
  assert.deepEqual(
    commits.map((s) => [s.startMs * 16, s.endMs * 16]),
    [
      [0, 5000],
      [5000, 5003],
      [5003, 20003],
      [21003, 32000],
    ],
  );
  assertExactAccounting(input, commits);
  assert.deepEqual(events, [], 'manual mode emits no turn events');
});

test('manual mode: an uncommitted buffer longer than the cap keeps only its newest audio', () => {
  const frontEnd = new AudioFrontEnd({ vad: null, mel: null, turnDetection: null, tuning: { ...TUNING, maxSegmentMs: 1000 }, onEvent: () => {} });
  const input = layout(1500, []);
  frontEnd.push(input);
  assert.equal(frontEnd.droppedManualSamples, 8000);
  assert.ok(frontEnd.heldSamples <= 16000);
  const segment = frontEnd.commit()!;
  assert.deepEqual([segment.startMs, segment.endMs], [500, 1500]);
  assert.deepEqual(segment.samples, input.subarray(8000));
});

test('server_vad needs a VAD model', () => {
  assert.throws(() => new AudioFrontEnd({ vad: null, mel: null, turnDetection: VAD, tuning: TUNING, onEvent: () => {} }), /VAD model/);
});

test('switching turn detection live: to manual keeps the speech in progress, back to VAD starts afresh', async () => {
  const input = layout(3000, [[320, 2000]]);
  const { frontEnd, all } = await run(input.subarray(0, 1000 * 16));
  assert.equal(frontEnd.speaking, true);
  frontEnd.setTurnDetection(null);
  frontEnd.setTurnDetection(null); // repeated updates change nothing
  frontEnd.push(input.subarray(1000 * 16, 1500 * 16));
  const manual = frontEnd.commit()!;
  assert.deepEqual([manual.startMs, manual.endMs], [320, 1500]);
  assert.deepEqual(manual.samples, input.subarray(320 * 16, 1500 * 16));
  frontEnd.setTurnDetection({ ...VAD, silence_duration_ms: 320 });
  frontEnd.push(input.subarray(1500 * 16));
  await frontEnd.whenIdle();
  const last = all.at(-1)!;
  assert.equal(last.type, 'segment');
  // VAD frames now start at 1500 ms, so the end at 2000 ms lands inside the frame [1980, 2012):
  // the frame has speech, the silence starts with the next one.
  if (last.type === 'segment') assert.deepEqual([last.segment.startMs, last.segment.endMs], [1500, 2012]);
});

test('threshold updates apply to the next frame', async () => {
  const input = layout(2000, [[320, 1200]]);
  const quiet = Float32Array.from(input, (v) => v * 0.6); // peak 0.54: speech at 0.5, not at 0.6
  assert.equal((await run(quiet)).segments.length, 1);
  assert.equal((await run(quiet, { turnDetection: { ...VAD, threshold: 0.6 } })).segments.length, 0);
});

test('commit in VAD mode ends the speech in progress; clear drops it silently', async () => {
  const input = layout(3000, [[320, 2500]]);
  const { frontEnd, all } = await run(input.subarray(0, 1600 * 16));
  const committed = frontEnd.commit()!;
  assert.deepEqual([committed.startMs, committed.endMs], [320, 1600]);
  assert.deepEqual(all.map((e) => e.type), ['voice_onset', 'speech_started', 'speech_stopped']);
  assert.equal(frontEnd.commit(), null, 'no speech in progress any more');
  frontEnd.push(input.subarray(1600 * 16, 2000 * 16));
  await frontEnd.whenIdle();
  assert.equal(frontEnd.speaking, true, 'the speech that goes on is detected again');
  frontEnd.clear();
  assert.equal(frontEnd.speaking, false);
  frontEnd.push(input.subarray(2000 * 16, 2100 * 16));
  await frontEnd.whenIdle();
  assert.equal(all.filter((e) => e.type === 'segment').length, 0);
});

test('memory stays bounded for endless audio, speech or silence', async () => {
  const events: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(new ScriptedModel()),
    mel: melPreset('whisper'),
    turnDetection: { ...VAD, prefix_padding_ms: 300 },
    tuning: { ...TUNING, maxSegmentMs: 2000 },
    onEvent: (e) => events.push(e),
  });
  const second = layout(1000, [[0, 1000]]);
  const silence = layout(1000, []);
  let maxHeld = 0;
  for (let s = 0; s < 120; s++) {
    // 40 s of speech, 40 s of silence, 40 s alternating.
    const x = s < 40 ? second : s < 80 ? silence : s % 2 ? second : silence;
    for (let i = 0; i < x.length; i += 320) frontEnd.push(x.subarray(i, i + 320));
    await frontEnd.whenIdle();
    maxHeld = Math.max(maxHeld, frontEnd.heldSamples);
  }
  // A segment (2 s) plus the prefix padding and one frame of VAD look-ahead, at most.
  assert.ok(maxHeld <= (2000 + 300) * 16 + 512 + 320, `held ${maxHeld} samples`);
  assert.equal(frontEnd.receivedSamples, 120 * 16000);
  const segments = events.flatMap((e) => (e.type === 'segment' ? [e.segment] : []));
  assert.ok(segments.length >= 20);
  for (const s of segments) assert.ok(s.endMs - s.startMs <= 2000);
  frontEnd.close();
  assert.equal(frontEnd.heldSamples, 0);
});

test('segments carry the Mel frames whose centres fall inside them', async () => {
  const input = layout(3000, [[640, 1600]]);
  const { segments } = await run(input, { mel: true, turnDetection: { ...VAD, prefix_padding_ms: 100 } });
  assert.equal(segments.length, 1);
  const [segment] = segments;
  const reference = new StreamingMelEncoder(melPreset('whisper'));
  reference.push(input);
  // Whisper frames are centred on multiples of the 160-sample hop.
  const from = Math.ceil((segment.startMs * 16) / 160);
  const to = Math.ceil((segment.endMs * 16) / 160);
  assert.ok(segment.mel);
  assert.equal(segment.mel.frames, to - from);
  assert.equal(segment.mel.bins, 80);
  assert.deepEqual(segment.mel, reference.read(from, to));
});

test('Mel frames are computed only while speech may be forming, and each segment still carries exactly the frames of the whole stream', async () => {
  // Silence, speech, a long silence, speech. A VAD that keeps up with the audio leaves each silence
  // behind the window, so the encoder skips it (seek) and catches up from the window at the
  // onset; one that lags (the run() helper's) finds the audio still held and feeds it all.
  const input = layout(9000, [[2000, 2800], [6400, 7600]]);
  const reference = new StreamingMelEncoder(melPreset('whisper'));
  reference.push(input);
  const seek = StreamingMelEncoder.prototype.seek;
  let seeks = 0;
  StreamingMelEncoder.prototype.seek = function (this: StreamingMelEncoder, frame: number) {
    seeks++;
    return seek.call(this, frame);
  };
  try {
    for (const keepUp of [true, false]) {
      seeks = 0;
      const segments: AudioSegment[] = [];
      const frontEnd = new AudioFrontEnd({
        vad: new VadScheduler(new ScriptedModel()),
        mel: melPreset('whisper'),
        turnDetection: { ...VAD, prefix_padding_ms: 300 },
        tuning: { ...TUNING, ...PATIENT },
        onEvent: (e) => e.type === 'segment' && segments.push(e.segment),
      });
      for (let i = 0; i < input.length; i += 480) {
        frontEnd.push(input.subarray(i, i + 480));
        if (keepUp || i % 9600 === 0) await frontEnd.whenIdle();
      }
      await frontEnd.whenIdle();
      assert.equal(segments.length, 2);
      if (keepUp) assert.equal(seeks, 2, 'each silence skipped');
      for (const segment of segments) {
        const from = Math.ceil((segment.startMs * 16) / 160);
        const to = Math.ceil((segment.endMs * 16) / 160);
        assert.equal(segment.mel?.frames, to - from);
        assert.deepEqual(segment.mel, reference.read(from, to), `keepUp ${keepUp}: ${segment.startMs}-${segment.endMs} ms`);
      }
      frontEnd.close();
    }
  } finally {
    StreamingMelEncoder.prototype.seek = seek;
  }
});

test('close releases everything: no events afterwards, pushes ignored', async () => {
  const input = layout(2000, [[320, 1500]]);
  const events: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(new ScriptedModel(2)),
    mel: melPreset('kaldi'),
    turnDetection: VAD,
    tuning: TUNING,
    onEvent: (e) => events.push(e),
  });
  frontEnd.push(input.subarray(0, 800 * 16));
  frontEnd.close();
  const seen = events.length;
  frontEnd.push(input.subarray(800 * 16));
  await frontEnd.whenIdle();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(events.length, seen);
  assert.equal(frontEnd.heldSamples, 0);
  assert.equal(frontEnd.commit(), null);
});

test('a VAD that falls far behind skips frames instead of holding audio', async () => {
  const events: TurnEvent[] = [];
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(new ScriptedModel()),
    mel: null,
    turnDetection: VAD,
    tuning: { ...TUNING, maxVadBacklogMs: 1000 },
    onEvent: (e) => events.push(e),
  });
  frontEnd.push(layout(10000, [])); // 10 s at once: far more than the VAD may lag
  assert.ok(frontEnd.heldSamples <= 1000 * 16, `held ${frontEnd.heldSamples}`);
  assert.ok(frontEnd.skippedVadFrames > 0);
  await frontEnd.whenIdle();
  frontEnd.close();
});

/** Frames of 512 samples at the given peak levels (the scripted VAD reads a frame's peak as its probability). */
function levels(perFrame: number[]): Float32Array {
  const x = new Float32Array(perFrame.length * 512);
  perFrame.forEach((peak, f) => {
    for (let i = 0; i < 512; i++) x[f * 512 + i] = peak * Math.sin(i * 0.3 + 0.5) * (i % 2 === 0 ? 1 : 0.999);
  });
  return x;
}

test('early onset: a frame between the off (0.35) and on (0.5) thresholds announces possible speech a frame sooner; speech that follows is not announced twice', async () => {
  const { all } = await run(levels([0, 0, 0, 0.4, 0.9, 0.9, 0.9, 0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  const types = all.map((e) => e.type);
  assert.equal(types[0], 'voice_onset');
  assert.equal((all[0] as { speechOnsetMs: number }).speechOnsetMs, 96, 'at the frame that crossed the off threshold');
  assert.equal(types.filter((t) => t === 'voice_onset').length, 1);
  assert.equal(types.filter((t) => t === 'voice_dropped').length, 0);
  assert.ok(types.includes('speech_started'));
});

test('early onset: a sound hovering between the thresholds is dropped after two frames and never becomes speech', async () => {
  const { all } = await run(levels([0, 0, 0.4, 0.4, 0.4, 0.4, 0.4, 0, 0, 0, 0]));
  assert.deepEqual(all.map((e) => e.type), ['voice_onset', 'voice_dropped'], 'announced once: no flapping while it hovers');
});

/** An echo gate that lets speech start from `onsetFromMs`, and go on or lead a start from `continueFromMs` (its spans in front-end samples). */
function scriptedGate(onsetFromMs: number, continueFromMs: number): SpeechOnsetGate {
  return {
    allowsOnset: (start, _end, continuing) => start >= (continuing ? continueFromMs : onsetFromMs) * 16,
    mayBridge: () => false,
    mayLead: (start) => start >= continueFromMs * 16,
    suppressedOnset: () => {},
  };
}

test('a word begun under the gate\'s onset bar but over its bar to go on starts at its first such frame, at most 2 frames early', async () => {
  const tuning = { minSpeechMs: 96 };
  // A 96 ms word: the gate lets it start only 32 ms in, but would let it go on from its start.
  const word = layout(1200, [[512, 608]]);
  const led = await run(word, { tuning, onsetGate: scriptedGate(544, 512) });
  assert.deepEqual(led.events[0], { type: 'speech_started', audioStartMs: 512, speechOnsetMs: 512 });
  assert.deepEqual(led.all[0], { type: 'voice_onset', speechOnsetMs: 512 }, 'the candidate is announced where it begins');
  // Echo, as far as the gate can tell, until 544: the candidate starts there and falls short.
  const held = await run(word, { tuning, onsetGate: scriptedGate(544, 544) });
  assert.deepEqual(held.events, []);
  // The onset bar cleared only 96 ms in: the candidate leads from two frames (64 ms) back, no more.
  const longer = layout(1200, [[512, 800]]);
  const capped = await run(longer, { tuning, onsetGate: scriptedGate(608, 512) });
  assert.deepEqual(capped.events[0], { type: 'speech_started', audioStartMs: 544, speechOnsetMs: 544 });
  // A frame the VAD hears as silence between the lead and the onset: no lead.
  const gapped = layout(1200, [[512, 544], [576, 800]]);
  const split = await run(gapped, { tuning, onsetGate: scriptedGate(576, 512) });
  assert.deepEqual(split.events[0], { type: 'speech_started', audioStartMs: 576, speechOnsetMs: 576 });
});

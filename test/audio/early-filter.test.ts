// The early filter (early-filter.ts): per-bin RLS at the echo's delay learns a room in a few
// hundred ms of echo, where SpeexDSP's filter, on the same audio, has barely begun; and what it
// leaves of a user speaking over the echo stands far over what it leaves of the echo alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { EarlyEchoFilter } from '../../server/audio/echo/early-filter.js';
import { SpeexEchoCanceller, speexAvailability } from '../../server/audio/echo/speex.js';
import { echoScene, micFrame, noEspeak } from '../support/echo-fixture.js';
import { ROOMS } from '../support/room.js';
const FRAME = 160;
const db = (x: number): number => 10 * Math.log10(x);

interface Run {
  /** Per frame: the filter's residual, microphone (its bins) and SpeexDSP's output and input (mean squares); user energy in the frame. */
  residual: number[];
  mic: number[];
  speexOut: number[];
  speexIn: number[];
  user: number[];
  echo: number[];
}

/** The answer played into `room` at 0 dB re the user (the user from `userAtMs`, or never), through the early filter placed 30 ms before the room's delay, and through SpeexDSP spanning it. */
function run(room: (typeof ROOMS)[number], userAtMs: number | null, learnFromUser: boolean): Run {
  const scene = echoScene(room);
  const { reference } = scene;
  const filter = new EarlyEchoFilter(reference);
  const speex = speexAvailability().available
    ? new SpeexEchoCanceller({ frameSize: FRAME, filterLength: Math.round((room.delayMs + room.tailMs + 40) * 16), sampleRate: 16000, echoSuppressDb: -40, echoSuppressActiveDb: -15, noiseSuppressDb: -6 })
    : null;
  const r: Run = { residual: [], mic: [], speexOut: [], speexIn: [], user: [], echo: [] };
  const frame = new Int16Array(FRAME);
  const play = new Int16Array(FRAME);
  const out = new Int16Array(FRAME);
  const delaySamples = (room.delayMs - 30) * 16;
  const userFrom = userAtMs === null ? Number.POSITIVE_INFINITY : userAtMs * 16;
  for (let f = 0; f < Math.floor(scene.echo.length / FRAME); f++) {
    const { user: userEnergy, echo: echoEnergy } = micFrame(scene, f, userFrom, frame);
    filter.frame(frame, f * FRAME, delaySamples);
    if (learnFromUser || userEnergy === 0) filter.learn();
    r.residual.push(filter.residualEnergy);
    r.mic.push(filter.micEnergy);
    r.user.push(userEnergy);
    r.echo.push(echoEnergy);
    if (speex) {
      reference.read(f * FRAME, play);
      r.speexIn.push(meanSquare(frame));
      r.speexOut.push(speex.cancel(frame, play, out));
    }
  }
  speex?.close();
  return r;
}

function meanSquare(x: Int16Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return sum / x.length;
}

/** Echo cancelled over frames [from, to) (ratio of sums, dB). */
function cancelledDb(input: number[], output: number[], from: number, to: number): number {
  let i = 0, o = 0;
  for (let k = from; k < to; k++) {
    i += input[k]!;
    o += output[k]!;
  }
  return db(i / o);
}

// Measured: 0.6-1.0 s into the answer (the echo arriving 20-400 ms late) the early filter cancels
// 17-27 dB in the four rooms; SpeexDSP, its filter spanning the room from delay 0, 0-5 dB.
test('echo alone: the early filter cancels 15 dB within a second of the answer; SpeexDSP on the same audio far less', { skip: noEspeak }, () => {
  for (const room of ROOMS) {
    const r = run(room, null, true);
    const early = cancelledDb(r.mic, r.residual, 100 + room.delayMs / 10, 150 + room.delayMs / 10);
    assert.ok(early > 15, `${room.name}: the early filter cancelled ${early.toFixed(1)} dB`);
    if (r.speexIn.length > 0) {
      const speexDb = cancelledDb(r.speexIn, r.speexOut, 100 + room.delayMs / 10, 150 + room.delayMs / 10);
      assert.ok(early > speexDb + 8, `${room.name}: early ${early.toFixed(1)} dB, SpeexDSP ${speexDb.toFixed(1)} dB`);
    }
  }
});

test('a user over the echo at 0 dB: what the early filter leaves of it stands 10 dB over what it leaves of the echo alone', { skip: noEspeak }, () => {
  for (const room of ROOMS) {
    const r = run(room, 2000, false);
    const echoAlone: number[] = [];
    const withUser: number[] = [];
    for (let f = 120 + room.delayMs / 10; f < r.residual.length; f++) {
      if (r.user[f]! === 0 && r.echo[f]! > 1e-4 * FRAME) echoAlone.push(db(r.residual[f]! / r.mic[f]!));
      else if (r.user[f]! > r.echo[f]!) withUser.push(db(r.residual[f]! / r.mic[f]!));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    assert.ok(echoAlone.length > 100 && withUser.length > 30, `${room.name}: ${echoAlone.length} echo frames, ${withUser.length} user frames`);
    assert.ok(median(withUser) > median(echoAlone) + 10, `${room.name}: residual/mic median ${median(withUser).toFixed(1)} dB with the user, ${median(echoAlone).toFixed(1)} dB echo alone`);
  }
});

/**
 * A 500 Hz tone for 1 s as the reference (only its bins are ever excited), its echo at half its
 * level in the microphone, and from frame 60 a 2 kHz tone as loud as the reference that the
 * reference never had: the filter run over 80 frames, learning from each. Per frame, what it
 * counted of the microphone (countedShare) before learning from it.
 */
function toneWithUnknownTone(): { filter: EarlyEchoFilter; shares: number[] } {
  const reference = new EchoReference({ originMs: 0, capacityMs: 5000 });
  reference.sent(Float32Array.from({ length: 16000 }, (_, n) => 0.3 * Math.sin((2 * Math.PI * 500 * n) / 16000)), 16000, 0);
  const filter = new EarlyEchoFilter(reference);
  const frame = new Int16Array(FRAME);
  const shares: number[] = [];
  for (let f = 0; f < 80; f++) {
    for (let k = 0; k < FRAME; k++) {
      const n = f * FRAME + k;
      frame[k] = Math.round(32767 * (0.15 * Math.sin((2 * Math.PI * 500 * n) / 16000) + (f >= 60 ? 0.3 * Math.sin((2 * Math.PI * 2000 * n) / 16000) : 0)));
    }
    filter.frame(frame, f * FRAME, 0);
    shares.push(filter.countedShare);
    filter.learn();
  }
  return { filter, shares };
}

test('a bin the reference has not excited is left out: the microphone there is not counted', () => {
  const { filter } = toneWithUnknownTone();
  // The 2 kHz tone (as loud as the reference) is in none of the counted bins: the microphone counted is the echo's alone, and the filter cancels it.
  assert.ok(filter.micEnergy > 0);
  assert.ok(db(filter.micEnergy / filter.residualEnergy) > 20, `cancelled ${db(filter.micEnergy / filter.residualEnergy).toFixed(1)} dB`);
});

test('the share of the microphone its energies speak for: none before a sound is learnt, the echo\'s share once a sound it never heard joins it', () => {
  const { shares } = toneWithUnknownTone();
  // The first frame: no bin has learnt anything, none is counted, and the energies are 0 (not a perfect cancellation).
  assert.equal(shares[0], 0);
  assert.ok(shares[59]! > 0.9, `the echo alone, learnt: share ${shares[59]!.toFixed(2)}`);
  // With the 2 kHz tone: the echo's share of the microphone (energy 0.15^2 against 0.3^2), 0.0225 / (0.0225 + 0.09) = 0.2.
  assert.ok(Math.abs(shares[79]! - 0.2) < 0.05, `with the unknown tone: share ${shares[79]!.toFixed(2)}`);
});

test('where the echo moved: the prediction read exactly at a move leaves what the frame leaves as read at no move, and far less at the move the echo made; the turned predictions rank that move best', { skip: noEspeak }, () => {
  const room = ROOMS[1]!;
  const scene = echoScene(room);
  const gap = 37 * 16;
  const at = 2500 * 16;
  const moved = new Float32Array(scene.echo.length + gap);
  moved.set(scene.echo.subarray(0, at));
  moved.set(scene.echo.subarray(at), at + gap);
  scene.echo = moved;
  const filter = new EarlyEchoFilter(scene.reference);
  const frame = new Int16Array(FRAME);
  const delaySamples = (room.delayMs - 30) * 16;
  const lastFrame = Math.floor((at + room.delayMs * 16) / FRAME) + 30;
  let checked = 0;
  for (let f = 0; f <= lastFrame; f++) {
    micFrame(scene, f, Number.POSITIVE_INFINITY, frame);
    filter.frame(frame, f * FRAME, delaySamples);
    if (f * FRAME < at) {
      filter.learn();
      continue;
    }
    // As read, exactly: the frame's own residual, to rounding.
    assert.ok(Math.abs(filter.residualMovedBy(0) - filter.residualEnergy) <= 1e-9 * filter.residualEnergy + 1e-6, `frame ${f}: ${filter.residualMovedBy(0)} vs ${filter.residualEnergy}`);
    if (f < lastFrame - 10 || filter.micEnergy < filter.residualEnergy * 0.5) continue;
    // The echo back, 37 ms late: the move it made explains it 10 dB better than as read; the turned predictions find it to 8 samples.
    checked++;
    assert.ok(filter.residualMovedBy(gap) < filter.residualEnergy * 0.1, `frame ${f}: at the move ${db(filter.residualMovedBy(gap) / filter.residualEnergy).toFixed(1)} dB re as read`);
    const later = filter.laterMove();
    assert.ok(Math.abs(later.samples - gap) <= 8, `frame ${f}: ranked ${later.samples} best`);
  }
  assert.ok(checked >= 5, `${checked} frames of the echo back checked`);
});

// EchoPathBound: an upper bound on the echo from the microphone alone. What the onset gate
// relies on: the echo never stands above the bound times the loudest reference in the delay
// range; and a microphone that hears no echo shows it within about a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoPathBound, faintBoundEcho, loudestPerDelay } from '../../server/audio/echo/echo-path-bound.js';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { espeakAvailable, speak } from '../support/espeak.js';
import { ROOMS, echoGainFor, echoOf, noise, atLevel } from '../support/room.js';

const skip = espeakAvailable() ? false : 'espeak-ng is not installed';
/** Direct-path delays up to 500 ms, as the canceller asks. */
const MAX_DELAY_BLOCKS = 50;

/** A bound fed `mic` frame by frame (aligned with the reference's clock, 10 ms frames) while `assistant` is sent as the pacer sends it. */
function feeder(assistant: Float32Array, mic: Float32Array): { bound: EchoPathBound; feed: (from: number, to: number, each?: (f: number) => void) => void; moves: number[] } {
  const reference = new EchoReference({ originMs: 0 });
  const bound = new EchoPathBound(reference, MAX_DELAY_BLOCKS);
  let sent = 0;
  const moves: number[] = [];
  const feed = (from: number, to: number, each?: (f: number) => void) => {
    for (let f = from; f < to && f * 160 + 160 <= mic.length; f++) {
      // The answer is sent in 100 ms frames, 300 ms ahead of playback, as the pacer does.
      while (sent < assistant.length && sent <= f * 160 + 4800) {
        reference.sent(assistant.subarray(sent, Math.min(assistant.length, sent + 1600)), 16000, sent / 16);
        sent += 1600;
      }
      let e = 0;
      for (let k = f * 160; k < f * 160 + 160; k++) e += (mic[k]! * 32768) ** 2;
      // Steady: the canceller's word for the path heard within one run of playback.
      if (bound.push(e / 160, f, true)) moves.push(f);
      each?.(f);
    }
  };
  return { bound, feed, moves };
}

/** Feeds all of `mic`; returns the gain bound and the echo bound after each frame. */
function run(assistant: Float32Array, mic: Float32Array): { echoBounds: number[]; bounds: (number | null)[]; moves: number[] } {
  const { bound, feed, moves } = feeder(assistant, mic);
  const bounds: (number | null)[] = [];
  const echoBounds: number[] = [];
  feed(0, Math.floor(mic.length / 160), (f) => {
    bounds.push(bound.boundDb);
    echoBounds.push(bound.echoEnergyBound(f));
  });
  return { echoBounds, bounds, moves };
}

test('the echo alone never stands above the bound (4 rooms, echo 0 and +6 dB re the user)', { skip }, () => {
  const assistant = speak('The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes.')!;
  for (const room of ROOMS) {
    for (const echoDb of [0, 6]) {
      const echo = echoOf(assistant, room, echoGainFor(assistant, room, 10 ** (-26 / 20), echoDb));
      const hiss = noise(echo.length, -65);
      const mic = echo.map((v, i) => v + hiss[i]!);
      const { echoBounds, moves } = run(assistant, mic);
      assert.deepEqual(moves, [], `${room.name} ${echoDb} dB: a steady path was taken for a moved one`);
      let checked = 0;
      let worst = -Infinity;
      for (let f = 0; f < echoBounds.length; f++) {
        const b = echoBounds[f]!;
        if (!Number.isFinite(b)) continue;
        let e = 0;
        for (let k = f * 160; k < f * 160 + 160; k++) e += (echo[k]! * 32768) ** 2;
        if (e === 0) continue;
        worst = Math.max(worst, 10 * Math.log10(e / 160 / b));
        assert.ok(e / 160 <= b, `${room.name} ${echoDb} dB: frame ${f}: echo ${(10 * Math.log10(e / 160)).toFixed(1)} dB, bound ${(10 * Math.log10(b)).toFixed(1)} dB`);
        checked++;
      }
      assert.ok(checked > echoBounds.length / 2, `${room.name}: the bound was known for ${checked} of ${echoBounds.length} frames`);
      // The closest it came (the onset gate adds its margin on top): -2.1 / -1.8 / -0.8 / -2.2 dB here.
      assert.ok(worst < -0.5, `${room.name} ${echoDb} dB: the echo came within ${(-worst).toFixed(2)} dB of the bound`);
    }
  }
});

test('a microphone that hears no echo (a headset) shows it within about 1.3 s of speech; user speech does not loosen the bound', { skip }, () => {
  const assistant = speak('The quick brown fox jumps over the lazy dog. Then it runs into the forest.')!;
  const mic = noise(assistant.length, -65);
  // The user speaks from 2 s on: a window with the user in it must not loosen the bound.
  const user = atLevel(speak('Wait, stop please.', 'en-gb+f3')!, -26);
  mic.set(user.map((v, i) => v + mic[32000 + i]!), 32000);
  const { bounds } = run(assistant, mic);
  const first = bounds.findIndex((b) => b !== null);
  assert.ok(first > 0 && first <= 130, `first bound after ${first * 10} ms`);
  assert.ok(bounds[first]! < -30, `no echo: bound ${bounds[first]!.toFixed(1)} dB`);
  const during = bounds[Math.min(bounds.length - 1, 250)]!;
  assert.ok(during <= bounds[199]! + 1e-9, `while the user speaks the bound stays ${during.toFixed(1)} (was ${bounds[199]!.toFixed(1)})`);
});

test('forget(): after the echo path changed, the bound is unknown (holds every onset) until the new path has been heard again', { skip }, () => {
  const assistant = speak('The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes.')!;
  const room = ROOMS[0]!;
  const mic = echoOf(assistant, room, echoGainFor(assistant, room, 0.05, 0));
  const { bound, feed } = feeder(assistant, mic);
  feed(0, 400);
  assert.notEqual(bound.boundDb, null, 'known after 4 s');
  bound.forget();
  assert.equal(bound.boundDb, null);
  assert.equal(bound.echoEnergyBound(400), Number.POSITIVE_INFINITY);
  feed(400, 700);
  assert.notEqual(bound.boundDb, null, 'known again after 3 s more');
});

test('a quiet echo that moved 300 ms later (a client underrun) shows as moved within a second, and the bound is forgotten; a steady one never does', { skip }, () => {
  const answer = speak('The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes.')!;
  const jumpAt = 3000 * 16;
  for (const room of ROOMS.filter((r) => r.name !== 'far-400ms')) {
    for (const [echoDbfs, underrun] of [[-54, true], [-58, true], [-54, false]] as const) {
      // The client ran dry for 300 ms at 3 s and played the rest that much later.
      const played = new Float32Array(answer.length);
      played.set(answer.subarray(0, jumpAt));
      if (underrun) played.set(answer.subarray(jumpAt, answer.length - 4800), jumpAt + 4800);
      else played.set(answer.subarray(jumpAt), jumpAt);
      const echo = echoOf(played, room, echoGainFor(answer, room, 10 ** (-26 / 20), echoDbfs + 26));
      const hiss = noise(echo.length, -65);
      const { moves, bounds } = run(answer, echo.map((v, i) => v + hiss[i]!));
      const label = `${room.name} ${echoDbfs} dBFS${underrun ? ', underrun' : ''}`;
      if (!underrun) {
        assert.deepEqual(moves, [], label);
        continue;
      }
      // Frames: the echo comes back at 330 ms (3.3 s); seen moved within the next second.
      assert.ok(moves.length >= 1 && moves[0]! >= 300 && moves[0]! <= 430, `${label}: moved at frames ${moves.join(', ')}`);
      assert.equal(bounds[moves[0]!], null, `${label}: the bound is unknown once moved`);
    }
  }
});

test('loudestPerDelay: the sliding maximum gives what the loop over every frame and delay gives (contiguous blocks, repeats, skips)', () => {
  let seed = 3;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const scratch = { seen: new Uint8Array(4), queue: new Int32Array(4), out: new Float64Array(MAX_DELAY_BLOCKS + 1) };
  let slidingCases = 0;
  for (let trial = 0; trial < 300; trial++) {
    const frames = 1 + Math.floor(random() * 70);
    const start = 1000 + Math.floor(random() * 50);
    const blocks = new Float64Array(frames);
    // One block per frame, now and then one repeated (drift) or skipped (a new run).
    let b = start;
    for (let i = 0; i < frames; i++) {
      blocks[i] = b;
      const r = random();
      b += r < 0.03 ? 0 : r < 0.06 && trial % 2 === 0 ? 2 : 1;
    }
    // The window is a ring: its frames in any rotation.
    const rotated = new Float64Array(frames);
    const shift = Math.floor(random() * frames);
    for (let i = 0; i < frames; i++) rotated[i] = blocks[(i + shift) % frames]!;
    const lowest = start;
    let highest = start;
    for (const v of blocks) highest = Math.max(highest, v);
    const base = lowest - MAX_DELAY_BLOCKS;
    const energies = new Float64Array(highest - base + 1);
    for (let k = 0; k < energies.length; k++) energies[k] = random() < 0.3 ? 0 : Math.floor(random() * 5000);
    let contiguous = true;
    for (let v = lowest; v <= highest; v++) if (!blocks.includes(v)) contiguous = false;
    if (contiguous) slidingCases++;
    const got = Array.from(loudestPerDelay(rotated, frames, energies, base, MAX_DELAY_BLOCKS, scratch));
    for (let d = 0; d <= MAX_DELAY_BLOCKS; d++) {
      let want = 0;
      for (let i = 0; i < frames; i++) want = Math.max(want, energies[rotated[i]! - base - d]!);
      assert.equal(got[d], want, `trial ${trial}, delay ${d}`);
    }
  }
  assert.ok(slidingCases > 100 && slidingCases < 300, `${slidingCases} of 300 windows took the sliding maximum`);
});

test('anyDelayEchoBound: unknown before the path is, then the loudest of the blocks times the gain at the loudest delay, at or over the echo of any of them at any delay', { skip }, () => {
  const assistant = speak('The quick brown fox jumps over the lazy dog. Then it runs into the forest.')!;
  const room = ROOMS[2]!;
  const echo = echoOf(assistant, room, echoGainFor(assistant, room, 10 ** (-26 / 20), 6));
  const hiss = noise(echo.length, -65);
  const mic = echo.map((v, i) => v + hiss[i]!);
  const { bound, feed } = feeder(assistant, mic);
  assert.equal(bound.anyDelayEchoBound(0, 10), Number.POSITIVE_INFINITY, 'nothing heard yet');
  const frames = Math.floor(mic.length / 160);
  feed(0, frames);
  assert.notEqual(bound.boundDb, null, 'the path is known by the end');
  // Any 10 ms of echo is at most the loudest reference block times the path's whole energy gain, which the bound's gain at its loudest delay holds.
  let loudestEcho = 0;
  for (let f = 0; f < frames; f++) {
    let e = 0;
    for (let k = f * 160; k < f * 160 + 160; k++) e += (echo[k]! * 32768) ** 2;
    loudestEcho = Math.max(loudestEcho, e / 160);
  }
  const anyDelay = bound.anyDelayEchoBound(0, frames);
  assert.ok(anyDelay >= loudestEcho, `bound ${(10 * Math.log10(anyDelay)).toFixed(1)} dB under the loudest echo ${(10 * Math.log10(loudestEcho)).toFixed(1)} dB`);
  assert.ok(anyDelay < loudestEcho * 10 ** (20 / 10), `bound ${(10 * Math.log10(anyDelay / loudestEcho)).toFixed(1)} dB over the loudest echo: no bound at all`);
  assert.equal(bound.anyDelayEchoBound(frames + 100, frames + 200), 0, 'silence returns no echo');
});

test('the faint bound echo: the bound over the reference peak where it spans every delay and is faint (under -50 dBFS); Infinity where unknown, locked to a delay, or loud', () => {
  const peak = 32768 ** 2 * 10 ** (-20 / 10);
  assert.ok(Math.abs(faintBoundEcho(peak, -40, true) - 32768 ** 2 * 10 ** (-60 / 10)) < 1, '-20 dBFS over a -40 dB path: -60 dBFS');
  assert.equal(faintBoundEcho(peak, -20, true), Number.POSITIVE_INFINITY, '-40 dBFS is no faint echo');
  assert.equal(faintBoundEcho(peak, -40, false), Number.POSITIVE_INFINITY, 'the peak spans the filter only');
  assert.equal(faintBoundEcho(peak, null, true), Number.POSITIVE_INFINITY, 'the bound unknown');
});

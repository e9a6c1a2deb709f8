// Echo canceller benchmark, component level (no socket; simulated time, so it runs faster than
// real time): the assistant's espeak-ng answer is played through simulated rooms
// (test/support/room.ts: direct path + exponentially decaying reflections, delays 20-400 ms
// plus 30 ms transport) into a microphone with -65 dBFS noise and, in the barge-in runs, the
// user's voice (espeak-ng, or the real clips of ../shared/audio when present) from 7 s on. Each
// row runs the same input three ways in the same run: canceller on (SpeexDSP + onset gate),
// gate only (no libspeexdsp), off (today's behaviour). Measured:
//  - self-interruptions: VAD speech onsets while only echo is present, per minute of speech;
//    and after a client underrun (UNDERRUN: the echo's delay jumps by 150 ms 5 s in; LONG_UNDERRUN:
//    by 300 ms, the whole lead, 3 s in, while the filter is young), the count;
//  - ERLE over the answer's second half; convergence: when a 500 ms window first reaches 20 dB
//    of ERLE, and the share of later windows that stay at 20 dB or more;
//  - barge-in: the user's speech onset detection time against the same speech with no echo
//    (delta ms; 'missed' when no onset within 2 s; 'masked' when the echo had already started
//    a turn that was still going, so the user's speech could not start one);
//  - double-talk damage: SNR of the output against the user's clean voice while the user speaks
//    (and the microphone's own SNR for reference); and, with ../shared present, Moonshine's
//    SpellingCNN top-1 on the 220 real clips spoken over the assistant (echo-double-talk.ts);
//  - CPU per session-second: canceller vs VAD + streaming Mel on the same audio.
//  - early barge-ins, 1-3 s into the session's first and second answer (echo-early.ts).
//  - barge-ins every 250 ms from 1 to 7 s into the first and second answer (echo-barge-in-grid.ts).
//  - barge-ins 100-600 ms after the client ran dry for 300 ms (echo-stall.ts).
//  - realigns: echo-only turns after underruns the server never saw, 3-7 s into a first answer (echo-realign.ts).
//  - short-underruns: 10-50 ms underruns 2-3 s into a first answer: echo-only turns and a barge-in after each (echo-short-underrun.ts);
//    odd-underruns: the same with 7-43 ms gaps, no whole number of 10 ms frames.
//  - pauses: tentative onsets (an answer paused, then resumed) the echo alone draws, 48 answers (echo-pauses.ts).
//  - run-shifts: a second answer the client began up to 10 ms earlier or 100 ms later than the
//    server placed it, or a sample or two off, between samples: echo-only turns and barge-ins 1
//    and 2 s in (echo-run-shift.ts).
//  - shifted-underruns: such an answer begun half a sample to 1.5 off, then an underrun the server
//    never saw 2.5 s into it; answer-starts: barge-ins 0-500 ms after such an answer's echo arrives
//    (echo-answer-start.ts).
//  - clocks: the client's clock off the server's by up to 1000 ppm, and a loudspeaker and a
//    microphone on two clocks (echo-clock.ts): ERLE, turns and pauses started, barge-ins.
//  - through the real socket (echo-socket.ts): self-interruptions over a whole answer, and
//    barge-in onset -> paused at the client with and without the echo, canceller on and off.
// Prints tables; writes bench-results/echo.json. Run: npm run bench:echo  (~25 min); one or more
// sections alone: npm run bench:echo -- --only rooms,early (SECTIONS below; a section not run is
// null in the json).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AudioFrontEnd } from '../../server/audio/front-end.js';
import { melPreset } from '../../server/audio/mel/index.js';
import { speexAvailability } from '../../server/audio/echo/speex.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import { SileroModel } from '../../server/audio/vad/silero.js';
import { convergence, erleDb, onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { doubleTalkAssetsPresent, runDoubleTalkBench } from './echo-double-talk.js';
import { runSocketEchoBench } from './echo-socket.js';
import { concat } from '../../test/support/speech.js';
import { runClockBench } from './echo-clock.js';
import { runEarlyBargeInBench } from './echo-early.js';
import { runBargeInGridBench } from './echo-barge-in-grid.js';
import { runStallBargeInBench } from './echo-stall.js';
import { runPlayedStallBench } from './echo-played-stall.js';
import { runLongerStallBench, runPartialStallBench } from './echo-partial-stall.js';
import { runUnderrunBargeInBench } from './echo-underrun.js';
import { runRealignBench } from './echo-realign.js';
import { runEchoPauseBench } from './echo-pauses.js';
import { ODD_UNDERRUNS_MS, runShortUnderrunBench } from './echo-short-underrun.js';
import { runRunShiftBench } from './echo-run-shift.js';
import { ANSWER_START_AFTER_MS, runAnswerStartBench, runShiftedUnderrunBench } from './echo-answer-start.js';
import { speak } from '../../test/support/espeak.js';
import { ROOMS, atLevel, echoGainFor, type RoomParams } from '../../test/support/room.js';
import { readWav } from '../../test/support/wav.js';

export const ANSWER = 'The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes.';
export const SECOND_ANSWER = 'Sure. The river runs from the mountains to the sea, and many birds live along its banks all year.';
const USER_AT_MS = 7000;
export const USER_DBFS = -26;
/** The client runs dry mid-answer and plays the rest this much later: the echo's delay jumps. */
const UNDERRUN = { atMs: 5000, gapMs: 150 };
const LONG_UNDERRUN = { atMs: 3000, gapMs: 300 };

type Mode = 'on' | 'gate' | 'off';

/** What `--only` may name: the simulated rooms (self-interruptions, ERLE, convergence, barge-in at 7 s, double-talk SNR, CPU), then each further section. */
export const SECTIONS = ['rooms', 'early', 'barge-in-grid', 'stalls', 'underruns', 'realigns', 'short-underruns', 'odd-underruns', 'run-shifts', 'shifted-underruns', 'answer-starts', 'pauses', 'played-stalls', 'partial-stalls', 'longer-stalls', 'clocks', 'double-talk', 'socket'] as const;
export type Section = (typeof SECTIONS)[number];

/** `--only a,b`: those sections (an unknown name is an error); none given: all. */
export function sectionsFromArgs(argv: readonly string[]): Set<Section> {
  const at = argv.indexOf('--only');
  if (at < 0) return new Set(SECTIONS);
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) throw new Error(`bench:echo --only: ${unknown.length ? `unknown ${unknown.join(', ')}` : 'no section named'}; sections: ${SECTIONS.join(', ')}`);
  return new Set(names as Section[]);
}

interface Run {
  onsets: number[];
  output: Float32Array;
  mic: Float32Array;
  echo: Float32Array;
  near: Float32Array;
  cancellerMs: number;
  delayMs: number | null;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function run(silero: SileroModel, assistant: Float32Array, user: Float32Array | null, room: RoomParams, echoDb: number, mode: Mode, underrun?: { atMs: number; gapMs: number }): Promise<Run> {
  const gain = echoDb === -Infinity ? 0 : echoGainFor(assistant, room, 10 ** (USER_DBFS / 20), echoDb);
  const r = await onsetsThroughFrontEnd(
    silero,
    {
      assistant,
      room,
      echoGain: gain,
      networkMs: 30,
      linear: mode === 'on',
      ...(underrun ? { underrun } : {}),
      ...(user ? { user, userAtMs: USER_AT_MS } : {}),
      durationMs: Math.max(assistant.length / 16, user ? USER_AT_MS + user.length / 16 : 0) + 800,
    },
    { gate: mode !== 'off', bypass: mode === 'off' },
  );
  return { onsets: r.onsets, output: r.output, mic: r.mic, echo: r.echo, near: r.near, cancellerMs: r.processMs, delayMs: r.canceller.lastDelayEstimate?.delayMs ?? null };
}

function convergenceColumns(c: { firstMs: number | null; heldShare: number }): { erle20AtMs: number | null; erle20HeldPct: number } {
  return { erle20AtMs: c.firstMs, erle20HeldPct: Math.round(c.heldShare * 100) };
}

/** SNR of `x` against the clean `near` over the blocks where the user speaks. */
function snrDb(x: Float32Array, near: Float32Array): number {
  let s = 0;
  let n = 0;
  const block = 320;
  let peak = 0;
  for (let i = 0; i + block <= near.length; i += block) peak = Math.max(peak, energy(near, i, block));
  for (let i = 0; i + block <= Math.min(near.length, x.length); i += block) {
    if (energy(near, i, block) < peak * 1e-3) continue;
    for (let k = i; k < i + block; k++) {
      s += near[k] * near[k];
      n += (x[k] - near[k]) ** 2;
    }
  }
  return 10 * Math.log10(s / Math.max(n, 1e-20));
}

function energy(x: Float32Array, from: number, n: number): number {
  let e = 0;
  for (let i = from; i < from + n; i++) e += x[i] * x[i];
  return e;
}

/** CPU ms per second of audio of the server's VAD + streaming Mel front-end on `audio` (three passes). */
async function vadMelMsPerSecond(silero: SileroModel, audio: Float32Array): Promise<number> {
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(silero),
    mel: melPreset('whisper'),
    turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    tuning: { negativeThresholdOffset: 0.15, minSpeechMs: 250, maxSegmentMs: 30000, maxVadBacklogMs: 600000 },
    onEvent: () => {},
  });
  const c0 = cpuMs();
  for (let rep = 0; rep < 3; rep++) {
    for (let i = 0; i < audio.length; i += 320) {
      frontEnd.push(audio.subarray(i, i + 320));
      if (i % 16000 === 0) await frontEnd.whenIdle();
    }
    await frontEnd.whenIdle();
  }
  const msPerSecond = (cpuMs() - c0) / ((3 * audio.length) / 16000);
  frontEnd.close();
  return msPerSecond;
}

function userVoices(): { name: string; samples: Float32Array }[] {
  const voices = [{ name: 'espeak en-gb+f3', samples: espeakUserVoice()! }];
  const clips = realClipsUtterance();
  if (clips) voices.push({ name: 'real clips', samples: clips });
  return voices;
}

/** The espeak-ng voice of the barge-in rows, at the user's level; null without espeak-ng. */
export function espeakUserVoice(): Float32Array | null {
  const words = speak('Wait, stop please. I have a question about the river.', 'en-gb+f3');
  return words && atLevel(words, USER_DBFS);
}

/** The real voice of the barge-in rows: three clips of ../shared/audio/alphanumeric in a row ("b", "five", "g"), as one utterance at the user's level; null without ../shared. */
export function realClipsUtterance(): Float32Array | null {
  const dir = fileURLToPath(new URL('../../../shared/audio/alphanumeric/', import.meta.url));
  if (!existsSync(dir)) return null;
  const clips: Float32Array[] = [];
  for (const letter of ['b', 'five', 'g']) {
    const file = readdirSync(`${dir}${letter}`).find((f) => f.endsWith('.wav'));
    if (file) clips.push(readWav(`${dir}${letter}/${file}`));
  }
  if (!clips.length) return null;
  const all = new Float32Array(clips.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of clips) (all.set(c, at), (at += c.length));
  return atLevel(all, USER_DBFS);
}

export async function runEchoBench(sections: ReadonlySet<Section> = new Set(SECTIONS)): Promise<unknown> {
  const wallStart = performance.now();
  const silero = await SileroModel.load({ version: 'v5' });
  const assistant = speak(ANSWER);
  if (!assistant) throw new Error('bench:echo needs espeak-ng');
  const voices = userVoices();
  const speechMinutes = assistant.length / 16000 / 60;
  const modes: Mode[] = speexAvailability().available ? ['on', 'gate', 'off'] : ['gate', 'off'];
  const rows: Record<string, unknown>[] = [];
  const cases: { room: RoomParams; echoDb: number }[] = !sections.has('rooms') ? [] : [
    ...ROOMS.map((room) => ({ room, echoDb: 0 })),
    { room: ROOMS[0]!, echoDb: -20 },
    { room: ROOMS[0]!, echoDb: 6 },
    { room: ROOMS[2]!, echoDb: 6 },
  ];
  // The user's onset with no echo at all: the baseline of barge-in delays.
  const baseline = new Map<string, number | null>();
  for (const v of cases.length ? voices : []) {
    const r = await run(silero, new Float32Array(0), v.samples, ROOMS[0]!, -Infinity, 'off');
    baseline.set(v.name, r.onsets.find((t) => t >= USER_AT_MS - 100) ?? null);
  }
  let cancellerMsTotal = 0;
  let cancelledSeconds = 0;
  for (const { room, echoDb } of cases) {
    for (const mode of modes) {
      const echoOnly = await run(silero, assistant, null, room, echoDb, mode);
      const n = echoOnly.output.length - (echoOnly.output.length % 320);
      const half = Math.floor(n / 2 / 320) * 320;
      if (mode === 'on') {
        cancellerMsTotal += echoOnly.cancellerMs;
        cancelledSeconds += n / 16000;
      }
      const row: Record<string, unknown> = {
        room: room.name,
        echoDb,
        mode,
        selfInterruptionsPerMin: +(echoOnly.onsets.length / speechMinutes).toFixed(1),
        erleDb: mode === 'on' ? +erleDb(echoOnly.mic, echoOnly.output, echoOnly.echo, half, n - 1600).toFixed(1) : null,
        ...(mode === 'on' ? convergenceColumns(convergence(echoOnly.mic, echoOnly.output, echoOnly.echo, 20)) : { erle20AtMs: null, erle20HeldPct: null }),
        selfInterruptionsAfterUnderrun: mode === 'off' ? null : (await run(silero, assistant, null, room, echoDb, mode, UNDERRUN)).onsets.filter((t) => t >= UNDERRUN.atMs).length,
        selfInterruptionsAfterLongUnderrun: mode === 'off' ? null : (await run(silero, assistant, null, room, echoDb, mode, LONG_UNDERRUN)).onsets.filter((t) => t >= LONG_UNDERRUN.atMs).length,
        delayMs: echoOnly.delayMs === null ? null : Math.round(echoOnly.delayMs),
        trueDelayMs: room.delayMs + 30,
      };
      for (const v of voices) {
        const barge = await run(silero, assistant, v.samples, room, echoDb, mode);
        const onset = barge.onsets.find((t) => t >= USER_AT_MS - 100 && t < USER_AT_MS + 2000);
        const base = baseline.get(v.name);
        // Off, the echo's own turn is still going when the user speaks: no onset of theirs to find.
        const masked = echoOnly.onsets.some((t) => t < USER_AT_MS);
        row[`bargeIn[${v.name}]`] = onset !== undefined ? Math.round(onset - (base ?? USER_AT_MS)) : masked ? 'masked' : 'missed';
        if (v === voices[0]) {
          row.doubleTalkSnrDb = +snrDb(barge.output, barge.near).toFixed(1);
          row.micSnrDb = +snrDb(barge.mic, barge.near).toFixed(1);
        }
      }
      rows.push(row);
    }
  }
  const early = sections.has('early') && speexAvailability().available ? await runEarlyBargeInBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const bargeInGrid = sections.has('barge-in-grid') && speexAvailability().available ? await runBargeInGridBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const stalls = sections.has('stalls') && speexAvailability().available ? await runStallBargeInBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const underruns = sections.has('underruns') && speexAvailability().available ? await runUnderrunBargeInBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const realigns = sections.has('realigns') && speexAvailability().available ? await runRealignBench(silero, assistant, USER_DBFS) : null;
  const shortUnderruns = sections.has('short-underruns') && speexAvailability().available ? await runShortUnderrunBench(silero, assistant, voices[0]!.samples, USER_DBFS) : null;
  const oddUnderruns = sections.has('odd-underruns') && speexAvailability().available ? await runShortUnderrunBench(silero, assistant, voices[0]!.samples, USER_DBFS, ODD_UNDERRUNS_MS) : null;
  const runShifts = sections.has('run-shifts') && speexAvailability().available ? await runRunShiftBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const shiftedUnderruns = sections.has('shifted-underruns') && speexAvailability().available ? await runShiftedUnderrunBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const answerStarts = sections.has('answer-starts') && speexAvailability().available ? await runAnswerStartBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const pauses = sections.has('pauses') && speexAvailability().available ? await runEchoPauseBench(silero, ANSWER, USER_DBFS) : null;
  const playedStalls = sections.has('played-stalls') && speexAvailability().available ? await runPlayedStallBench(silero, assistant, speak(SECOND_ANSWER)!, USER_DBFS) : null;
  const partialStalls = sections.has('partial-stalls') && speexAvailability().available ? await runPartialStallBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const longerStalls = sections.has('longer-stalls') && speexAvailability().available ? await runLongerStallBench(silero, assistant, speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  const clocks = sections.has('clocks') && speexAvailability().available ? await runClockBench(silero, concat(assistant, assistant), speak(SECOND_ANSWER)!, voices[0]!.samples, USER_DBFS) : null;
  // VAD + streaming Mel on the same amount of audio, for scale (with the rooms' canceller CPU).
  const cpu = cases.length
    ? { cancellerMsPerSessionSecond: +(cancellerMsTotal / Math.max(cancelledSeconds, 1e-9)).toFixed(2), vadMelMsPerSessionSecond: +(await vadMelMsPerSecond(silero, assistant)).toFixed(2) }
    : null;
  await silero.release();
  // Double talk read by a real recognizer (needs ../shared); only with the linear canceller.
  const doubleTalk = sections.has('double-talk') && speexAvailability().available && doubleTalkAssetsPresent() ? await runDoubleTalkBench(assistant, ROOMS[0]!, [-10, 0, 6], USER_DBFS) : null;
  // The closed loop through the real socket, in real time (needs libspeexdsp1 for the 'on' rows).
  const socket = sections.has('socket') && speexAvailability().available ? await runSocketEchoBench() : null;
  const result = { backend: speexAvailability(), voices: voices.map((v) => v.name), baselineOnsetMs: Object.fromEntries(baseline), cpu, rows, early, bargeInGrid, stalls, underruns, realigns, shortUnderruns, oddUnderruns, runShifts, shiftedUnderruns, answerStarts, pauses, playedStalls, partialStalls, longerStalls, clocks, doubleTalk, socket, wallMs: Math.round(performance.now() - wallStart) };
  if (rows.length) console.table(rows);
  if (early) {
    console.log("Early barge-ins (espeak voice) into the session's first and second answer, onset delta vs no echo (ms) at 1.0 / 1.5 / 2.0 / 3.0 s in; underrunTurns: turns started by an underrun 1.5 s into the second answer:");
    console.table(early);
  }
  for (const g of bargeInGrid ?? []) {
    console.log(`Barge-ins every 250 ms from 1 to 7 s into the session's ${g.answer === 1 ? 'first' : 'second'} answer (four rooms, echo 0 and -6 dB, espeak voice): of ${g.bargeIns}, missed ${g.missed}, later than 100 ms ${g.late}${g.cells.length ? ':' : ''}`);
    for (const cell of g.cells) console.log(`  ${cell}`);
  }
  if (stalls) {
    console.log("Barge-ins after the client ran dry (the server sent nothing for 300 ms at s ms into the second answer), a ms after the audio resumed: onset delta vs no echo (ms):");
    console.table(stalls);
  }
  if (underruns) {
    console.log('Barge-ins after the client ran dry on its own (an underrun of g ms at s ms into the second answer the server never saw), a ms after the audio resumed: onset delta vs no echo (ms):');
    console.table(underruns);
  }
  if (realigns) {
    console.log(`Underruns the server never saw in a first answer (the client ran dry g ms at s ms), echo only: turns the echo started after them; +found: the echo found again at its new delay. In all: ${realigns.turns} turns in ${realigns.underruns} underruns, ${realigns.found} found:`);
    console.table(realigns.rows);
  }
  for (const [u, what] of [[shortUnderruns, 'Short underruns'], [oddUnderruns, 'Short underruns of odd lengths (no whole number of 10 ms frames)']] as const) {
    if (!u) continue;
    console.log(`${what} the server never saw early in a first answer (the client ran dry g ms at s ms): turns the echo alone started after them / a barge-in 300 ms after the audio resumed, onset delta vs no echo (ms). In all, ${u.underruns} underruns: turns ${u.turns}, barge-ins missed ${u.missed}, later than 100 ms ${u.late}:`);
    console.table(u.rows);
  }
  if (runShifts) {
    const r = runShifts;
    console.log(`New answers the client began s samples later than placed (negative: earlier; fractional: between samples), echo at 0, -6 and +6 dB: turns the echo alone started in that answer / a barge-in 1.0 and 2.0 s into it, onset delta vs no echo (ms). In all, ${r.runs} answers: turns ${r.turns}; of ${r.bargeIns} barge-ins, missed ${r.missed}, later than 100 ms ${r.late}:`);
    console.table(r.rows);
  }
  if (shiftedUnderruns) {
    const r = shiftedUnderruns;
    console.log(`New answers the client began s samples later than placed, then ran dry for 150 ms 2.5 s into (an underrun the server never saw), echo at 0, -6 and +6 dB: turns the echo alone started in that answer / a barge-in 300 ms after the audio resumed, onset delta vs no echo (ms). Turns ${r.turns}; of ${r.bargeIns} barge-ins, missed ${r.missed}, later than 100 ms ${r.late}:`);
    console.table(r.rows);
  }
  if (answerStarts) {
    const r = answerStarts;
    console.log(`Barge-ins as a new answer's echo arrives, the answer begun s samples later than placed, echo at 0 and -6 dB: onset delta vs no echo (ms) for the user starting ${ANSWER_START_AFTER_MS.join(' / ')} ms after the echo reaches the microphone. Of ${r.bargeIns}, missed ${r.missed}, later than 100 ms ${r.late}:`);
    console.table(r.rows);
  }
  if (pauses) {
    console.log(`Pauses the echo alone drew (tentative onsets: the answer paused, then resumed) in ${pauses.answers} answers (2 texts x 2 voices x 4 rooms x 0/+6/-6 dB): ${pauses.pauses}; turns started: ${pauses.turns}${pauses.cells.length ? ':' : ''}`);
    for (const cell of pauses.cells) console.log(`  ${cell}`);
  }
  if (playedStalls) {
    console.log(`Stalls the client never had (the reference placed g ms of silence s ms into the second answer; the client played on): turns the echo started with the stall check / without it; +skip: read past the silence. In all: ${playedStalls.turnsWithCheck} / ${playedStalls.turnsWithout} turns in ${playedStalls.stalls} stalls, ${playedStalls.skipped} skipped:`);
    console.table(playedStalls.rows);
  }
  if (partialStalls) {
    const p = partialStalls;
    console.log(`Stalls the client played through in part (the reference placed g ms of silence s ms into the second answer; the client, its playback lagging the model, ran dry for g - p ms): turns the echo alone started with the stall check / without it, then a barge-in 600 ms after the audio resumed, onset delta vs no echo (ms) with / without it. In all, ${p.stalls} stalls: turns ${p.turnsWithCheck} / ${p.turnsWithout}, barge-ins missed ${p.missedWithCheck} / ${p.missedWithout}, later than 100 ms ${p.lateWithCheck} / ${p.lateWithout}:`);
    console.table(p.rows);
  }
  if (longerStalls) {
    const p = longerStalls;
    console.log(`Stalls the client ran dry for longer than placed (the reference placed g ms of silence s ms into the second answer; the client, by its own clock, ran dry x samples longer): turns the echo alone started with the stall check / without it, then a barge-in 600 ms after the audio resumed, onset delta vs no echo (ms) with / without it. In all, ${p.stalls} stalls: turns ${p.turnsWithCheck} / ${p.turnsWithout}, barge-ins missed ${p.missedWithCheck} / ${p.missedWithout}, later than 100 ms ${p.lateWithCheck} / ${p.lateWithout}:`);
    console.table(p.rows);
  }
  if (clocks) {
    console.log("Clocks (0 dB echo): ERLE over the first answer's second half, the second answer's first 2 s and its rest; turns the echo alone started, and pauses it drew (tentative onsets); a barge-in 12 s into the first answer and 3 s into the second, onset delta vs no echo (ms):");
    console.table(clocks);
  }
  if (doubleTalk) {
    console.log('Double talk: SpellingCNN top-1 on the 220 real clips spoken over the assistant (clean / microphone / cancelled):');
    console.table(doubleTalk);
  } else if (sections.has('double-talk')) console.log('Double talk: skipped (needs libspeexdsp1 and ../shared/models/moonshine-micro with ../shared/audio/alphanumeric)');
  if (socket) {
    console.log('Through the socket, one answer played back at 0 dB (small-60ms room):');
    console.table(socket.self);
    console.log("Through the socket, barge-in at atMs into the session's first or second answer: user's first sample -> the answer lowered or paused (duet.response.ducked or .paused, whichever first), and -> paused, at the client (ms); overNoEchoMs: the median to held less that of the same setting without echo, run rep by rep in turn with it:");
    console.table(socket.bargeIn.map((r) => ({ ...r, onsetToHeldMs: r.onsetToHeldMs.join(' / '), onsetToPausedMs: r.onsetToPausedMs.join(' / ') })));
  }
  if (cpu) console.log(`CPU per session-second: canceller ${cpu.cancellerMsPerSessionSecond} ms, VAD + Mel ${cpu.vadMelMsPerSessionSecond} ms (ratio ${(cpu.cancellerMsPerSessionSecond / cpu.vadMelMsPerSessionSecond).toFixed(2)})`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/echo.json', JSON.stringify(result, null, 2));
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runEchoBench(sectionsFromArgs(process.argv));
}

// Why a bench:echo barge-in was late or missed, frame by frame: one of its simulated barge-ins
// (or its echo alone) run again with every 10 ms frame of the canceller traced. Per frame: the
// echo and the user's voice as simulated (the truth the canceller never sees), the microphone,
// the filter's linear output, the suppressed output the gate judges, the residual echo it
// expects (the leak's, or the raw bound's while the filter is distrusted), the echo models'
// predictions, the gate's flags, and the early filter's residual over what it expects and its leak
// (early-echo.ts; '-' where it vouches for nothing or has retired); then the speech onsets
// against the same speech with no echo, and the tentative onsets (voice_onset).
//   npm run echo:trace -- --room office --db 0 --at 1000
//   npm run echo:trace -- --room near --db 0 --at 3350 --underrun 3000:50
//   npm run echo:trace -- --room far --db=-6 --answer 2 --at 1500 --from=-100 --to 600
// Options: --room (a name's start: small, office, far, near), --db (echo re the user's voice),
// --at (ms into the answer the user starts), --answer 1|2 (the second begins 2 s after the first,
// as in bench:echo's early rows), --underrun AT:GAP (the client ran dry GAP ms at AT ms into the
// answer), --shift S (the client began the second answer S samples later than placed; with
// --answer 2), --alone (echo only), --gate-only (no SpeexDSP: the gate alone), --from/--to (the frames shown, ms around --at). A negative value
// takes the = form: --db=-6. --text and --voice: the first answer's words and espeak-ng voice
// (bench:echo's answer in en-us by default), to trace a tentative onset found on other speech;
// --second: the second answer's words.
import { parseArgs } from 'node:util';
import type { EchoFrameTrace } from '../../server/audio/echo/canceller.js';
import { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { speak } from '../../test/support/espeak.js';
import { ROOMS, echoGainFor, type RoomParams } from '../../test/support/room.js';
import { joinAnswers } from '../../test/support/speech.js';
import { ANSWER, SECOND_ANSWER, USER_DBFS, espeakUserVoice } from './echo.js';
import { bargeInAmong, noEchoBaseline } from './barge-in-onset.js';

const FRAME = 160;
const GAP_MS = 2000;

export interface EchoTraceCase {
  room: RoomParams;
  /** Echo level re the user's voice, dB. */
  echoDb: number;
  /** When the user starts, ms into the answer. */
  atMs: number;
  answer: 1 | 2;
  /** The client ran dry `gapMs` at `atMs` ms into the answer. */
  underrun?: { atMs: number; gapMs: number };
  /** The client began the second answer this many samples later than the server placed it (negative: earlier), as in bench:echo's run-shift rows. */
  runShift?: number;
  /** The echo alone: no user. */
  alone?: boolean;
  /** Without SpeexDSP: the gate alone, as a server without libspeexdsp runs (bench:echo's 'gate' mode). */
  gateOnly?: boolean;
  /** The first answer's text and espeak-ng voice (bench:echo's answer, en-us, by default). */
  text?: string;
  voice?: string;
  /** The second answer's text (bench:echo's second answer by default). */
  secondText?: string;
}

export interface TracedFrame {
  /** ms into the answer the frame starts. */
  ms: number;
  /** Energies as simulated and as the canceller saw them, dB (mean square, int16 units; -Infinity: none). */
  echoDb: number;
  userDb: number;
  micDb: number;
  linearDb: number;
  outDb: number;
  /** The residual echo the gate expects: the leak's, or while the filter is distrusted the raw bound's. */
  residualDb: number;
  rawDb: number;
  envelopeDb: number;
  /** Share of the microphone in bands clear of the echo (EchoSpectrum); null while unusable. */
  clearShare: number | null;
  leakDb: number;
  delayMs: number | null;
  /** A active, T trusted, M models may start, S spectral may start, C filter cancels, F fresh distrust (lower case: false). */
  flags: string;
  /** The early filter's residual over what it expects, dB (null where it vouches for nothing), and its leak. */
  earlyOverDb: number | null;
  earlyLeakDb: number | null;
}

export interface EchoTrace {
  frames: TracedFrame[];
  /** Speech onsets, ms into the answer. */
  onsetsMs: number[];
  /** Tentative onsets (voice_onset: a session pauses its answer there), ms into the answer. */
  tentativeMs: number[];
  /** The barge-in's onset (the first within -100..+2000 ms of atMs) against the same speech with no echo, ms; null where either is missing or the echo is alone. */
  deltaMs: number | null;
}

const db = (energy: number) => (energy > 0 ? 10 * Math.log10(energy) : Number.NEGATIVE_INFINITY);

function frameEnergy(x: Float32Array, frame: number): number {
  let sum = 0;
  for (let k = frame * FRAME; k < (frame + 1) * FRAME && k < x.length; k++) sum += (x[k]! * 32768) ** 2;
  return sum / FRAME;
}

function flags(e: EchoFrameTrace['evidence']): string {
  const f = (on: boolean, letter: string) => (on ? letter : letter.toLowerCase());
  return f(e.active, 'A') + f(e.trusted, 'T') + f(e.modelsMayStart, 'M') + f(e.spectralMayStart, 'S') + f(e.filterCancels, 'C') + f(e.freshDistrust, 'F');
}

/** Runs `c` through the canceller and the real VAD as bench:echo does, tracing every frame; null without espeak-ng. */
export async function traceEchoCase(silero: SileroModel, c: EchoTraceCase): Promise<EchoTrace | null> {
  const first = speak(c.text ?? ANSWER, c.voice);
  const second = speak(c.secondText ?? SECOND_ANSWER);
  const user = espeakUserVoice();
  if (!first || !second || !user) return null;
  const { both, secondAtMs, unsent } = joinAnswers(first, second, GAP_MS);
  const assistant = c.answer === 1 ? first : both;
  const offsetMs = c.answer === 1 ? 0 : secondAtMs;
  const userAtMs = offsetMs + c.atMs;
  const seen: Omit<TracedFrame, 'echoDb' | 'userDb'>[] = [];
  const sim = {
    assistant,
    room: c.room,
    echoGain: echoGainFor(assistant, c.room, 10 ** (USER_DBFS / 20), c.echoDb),
    networkMs: 30,
    ...(c.gateOnly ? { linear: false } : {}),
    durationMs: userAtMs + user.length / 16 + 800,
    ...(c.underrun ? { underrun: { atMs: offsetMs + c.underrun.atMs, gapMs: c.underrun.gapMs } } : {}),
    // A new answer the server sent after a silence (not silence it sent), begun off where placed.
    ...(c.runShift !== undefined && c.answer === 2 ? { unsent, runShift: { atMs: secondAtMs, samples: c.runShift } } : {}),
    ...(c.alone ? {} : { user, userAtMs }),
    onFrame: (t: EchoFrameTrace) => {
      const e = t.evidence;
      seen.push({
        ms: t.index * 10 - offsetMs,
        micDb: db(e.micEnergy),
        linearDb: db(t.linearEnergy),
        outDb: db(e.outEnergy),
        residualDb: db(e.active ? (e.trusted ? e.residual : e.rawResidual) : 0),
        rawDb: db(e.rawResidual),
        envelopeDb: db(e.envelopeEcho),
        clearShare: e.spectralTotal > 0 ? e.spectralClear / e.spectralTotal : null,
        leakDb: t.leakDb,
        delayMs: t.delayMs,
        flags: flags(e),
        earlyOverDb: e.earlyExpected > 0 ? db(e.earlyResidual) - db(e.earlyExpected) : null,
        earlyLeakDb: t.earlyLeakDb,
      });
    },
  };
  const r = await onsetsThroughFrontEnd(silero, sim, { gate: true });
  const frames = seen.map((f, i) => ({ ...f, echoDb: db(frameEnergy(r.echo, i)), userDb: db(frameEnergy(r.near, i)) }));
  const onsetsMs = r.onsets.map((t) => t - offsetMs);
  const tentativeMs = r.tentative.map((t) => t - offsetMs);
  let deltaMs: number | null = null;
  if (!c.alone) {
    const onset = bargeInAmong(r.onsets, userAtMs);
    const base = await noEchoBaseline(silero, user)(userAtMs);
    deltaMs = onset === undefined || base === undefined ? null : Math.round(onset - base);
  }
  return { frames, onsetsMs, tentativeMs, deltaMs };
}

function print(trace: EchoTrace, fromMs: number, toMs: number, alone: boolean): void {
  const n = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-').padStart(4);
  console.log('    ms echo user  mic  lin  out  res  raw  env clear  leak delay flags  e.over e.leak');
  for (const f of trace.frames) {
    if (f.ms < fromMs || f.ms >= toMs) continue;
    const clear = f.clearShare === null ? '    -' : f.clearShare.toFixed(2).padStart(5);
    console.log(`${String(f.ms).padStart(6)} ${n(f.echoDb)} ${n(f.userDb)} ${n(f.micDb)} ${n(f.linearDb)} ${n(f.outDb)} ${n(f.residualDb)} ${n(f.rawDb)} ${n(f.envelopeDb)} ${clear} ${n(f.leakDb)}  ${f.delayMs === null ? '   -' : n(f.delayMs)} ${f.flags} ${f.earlyOverDb === null ? '      -' : f.earlyOverDb.toFixed(1).padStart(7)} ${f.earlyLeakDb === null ? '     -' : f.earlyLeakDb.toFixed(1).padStart(6)}`);
  }
  console.log(`onsets (ms into the answer): ${trace.onsetsMs.map((t) => t.toFixed(0)).join(', ') || 'none'}`);
  console.log(`tentative onsets (voice_onset): ${trace.tentativeMs.map((t) => t.toFixed(0)).join(', ') || 'none'}`);
  if (!alone) console.log(`barge-in onset vs no echo: ${trace.deltaMs === null ? 'missed' : `${trace.deltaMs} ms`}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      room: { type: 'string', default: 'office' },
      db: { type: 'string', default: '0' },
      at: { type: 'string', default: '1000' },
      answer: { type: 'string', default: '1' },
      underrun: { type: 'string' },
      shift: { type: 'string' },
      alone: { type: 'boolean', default: false },
      'gate-only': { type: 'boolean', default: false },
      text: { type: 'string' },
      second: { type: 'string' },
      voice: { type: 'string' },
      from: { type: 'string', default: '-200' },
      to: { type: 'string', default: '1200' },
    },
  });
  const room = ROOMS.find((r) => r.name.startsWith(values.room));
  if (!room) throw new Error(`--room: one of ${ROOMS.map((r) => r.name).join(', ')}`);
  const [underrunAt, underrunGap] = (values.underrun ?? '').split(':').map(Number);
  const c: EchoTraceCase = {
    room,
    echoDb: Number(values.db),
    atMs: Number(values.at),
    answer: values.answer === '2' ? 2 : 1,
    alone: values.alone,
    gateOnly: values['gate-only'],
    ...(values.text ? { text: values.text } : {}),
    ...(values.second ? { secondText: values.second } : {}),
    ...(values.voice ? { voice: values.voice } : {}),
    ...(values.underrun ? { underrun: { atMs: underrunAt!, gapMs: underrunGap! } } : {}),
    ...(values.shift ? { runShift: Number(values.shift) } : {}),
  };
  const trace = await traceEchoCase(await SileroModel.load({ version: 'v5' }), c);
  if (!trace) throw new Error('echo:trace needs espeak-ng');
  print(trace, c.atMs + Number(values.from), c.atMs + Number(values.to), c.alone === true);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

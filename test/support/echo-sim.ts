// Component-level echo simulation (no socket): the assistant's speech is "sent" in 100 ms
// frames in real time into an EchoReference, played through a simulated room into a
// microphone that also hears the user, and the microphone is fed to the EchoCanceller in
// 20 ms chunks arriving `networkMs` after capture. Time is simulated, so it runs as fast
// as the CPU allows. Used by the echo unit tests and bench:echo.
import { EchoCanceller, type EchoFrameTrace, type ReadingMoveCause } from '../../server/audio/echo/canceller.js';
import { fractionalSpan, readAtFraction } from '../../server/audio/echo/fractional-delay.js';
import { EchoReference } from '../../server/audio/echo/reference.js';
import { AudioFrontEnd } from '../../server/audio/front-end.js';
import { VadScheduler } from '../../server/audio/vad/scheduler.js';
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { noise, RoomPath, type RoomParams } from './room.js';

export interface EchoSimOptions {
  assistant: Float32Array;
  /** The user's speech (16 kHz), starting at `userAtMs`; none when absent. */
  user?: Float32Array;
  userAtMs?: number;
  room: RoomParams;
  /** Gain of the echo path (see echoGainFor). */
  echoGain: number;
  /** Capture -> arrival at the server, ms (adds to the room's delay as the canceller sees it). */
  networkMs?: number;
  driftPpm?: number;
  /**
   * Two devices: the loudspeaker's clock runs this many ppm slow against the microphone's, so
   * the echo's delay grows smoothly over each run of playback (a new run, after `unsent`,
   * starts when it arrives, afresh). `driftPpm` is the same in whole-sample steps, across runs.
   */
  speakerDriftPpm?: number;
  /**
   * The client's clock (one device: its playback and capture share it) runs this many ppm fast
   * against the server's: its samples, played and captured, take 1 - ppm/1e6 of a server ms.
   */
  clientClockPpm?: number;
  /**
   * The client ran dry for `gapMs` at `atMs` (a network stall longer than the audio it had
   * queued) and plays the rest of the answer that much later than the server's reference
   * assumes: the echo's delay jumps by `gapMs` mid-answer.
   */
  underrun?: { atMs: number; gapMs: number };
  /**
   * The server paused sending for `gapMs` at `atMs` and its reference took the client to have
   * run dry (a new run, placed `gapMs` later), while the client played on from what it had
   * queued: from then on the echo arrives `gapMs` earlier than the reference places it.
   */
  referenceStall?: { atMs: number; gapMs: number };
  /**
   * The client began the run the server placed at `atMs` (after `unsent`: a new answer) `samples`
   * later than the server's model of it (negative: earlier): its first audio took longer (or less)
   * to arrive than the model's, or the model's reading of the client's clock was off. The echo of
   * that run and all after it comes that much later (earlier) than the reference places it.
   */
  runShift?: { atMs: number; samples: number };
  noiseDbfs?: number;
  /** The server sent nothing in [fromMs, toMs) (between two answers): playback starts a new run after it. */
  unsent?: { fromMs: number; toMs: number };
  /** The client sent none of the microphone audio it captured in [fromMs, toMs) (muted, or its own VAD heard nothing). */
  micGap?: { fromMs: number; toMs: number };
  /** SpeexDSP (true) or the gate alone. */
  linear?: boolean;
  /** The canceller's stall check (default on; off for comparison). */
  checkStalls?: boolean;
  /** Total length simulated, ms (default: the assistant's speech + 500 ms). */
  durationMs?: number;
  /** Each chunk of output as it is produced (e.g. into a turn detector, which reads the canceller's onset gate). */
  onOutput?: (output: Float32Array) => void | Promise<void>;
  /** Each time the canceller reads the reference elsewhere (EchoCancellerOptions.onReadingMoved). */
  onReadingMoved?: (cause: ReadingMoveCause) => void;
  /** Each 10 ms frame as the canceller saw it (EchoCancellerOptions.onFrame). */
  onFrame?: (frame: EchoFrameTrace) => void;
  /** Called with the canceller before any audio (e.g. to wire its onset gate). */
  onCanceller?: (canceller: EchoCanceller) => void;
}

export interface EchoSimResult {
  /** What the microphone captured: echo + user + noise. */
  mic: Float32Array;
  /** The echo alone, the user alone (aligned with mic). */
  echo: Float32Array;
  near: Float32Array;
  /** The canceller's output (aligned with mic; its last partial frame is missing). */
  output: Float32Array;
  canceller: EchoCanceller;
  /** CPU time spent in EchoCanceller.process, ms. */
  processMs: number;
  /**
   * How much later than without any holding back the output sample at `sample` went on, ms: the
   * canceller holds a new answer's first frames back while its run is searched for (deferred-frames.ts).
   */
  heldBackMs: (sample: number) => number;
}

/** The server sends the answer in 100 ms frames. */
const SEND_FRAME = 1600;
/** The front end's minimum speech in onsetsThroughFrontEnd, ms. */
const MIN_SPEECH_MS = 250;

export async function simulateEcho(o: EchoSimOptions): Promise<EchoSimResult> {
  const durationMs = o.durationMs ?? (o.assistant.length / 16 + 500);
  const total = Math.round(durationMs * 16);
  const speaker = new Float32Array(total);
  speaker.set(o.assistant.subarray(0, Math.min(o.assistant.length, total)));
  // The client plays only what the server sent (whole 100 ms frames: see the loop below).
  if (o.unsent) for (let at = 0; at < total; at += SEND_FRAME) if (at / 16 >= o.unsent.fromMs && at / 16 < o.unsent.toMs) speaker.fill(0, at, Math.min(total, at + SEND_FRAME));
  const shifted = o.runShift ? withRunShift(speaker, Math.round(o.runShift.atMs * 16), o.runShift.samples) : speaker;
  // An underrun: the rest plays that much later.
  const gapped = o.underrun ? withRunShift(shifted, o.underrun.atMs * 16, o.underrun.gapMs * 16) : shifted;
  const played = o.speakerDriftPpm ? slowedRuns(gapped, o.speakerDriftPpm, o.unsent ? [Math.round(o.unsent.toMs * 16)] : []) : gapped;
  const echo = new RoomPath(o.room, o.echoGain, o.driftPpm ?? 0).process(played);
  const near = new Float32Array(total);
  if (o.user) near.set(o.user.subarray(0, Math.max(0, Math.min(o.user.length, total - Math.round((o.userAtMs ?? 0) * 16)))), Math.round((o.userAtMs ?? 0) * 16));
  const hiss = noise(total, o.noiseDbfs ?? -65);
  const mic = new Float32Array(total);
  for (let i = 0; i < total; i++) mic[i] = echo[i] + near[i] + hiss[i];

  const reference = new EchoReference({ originMs: 0 });
  const canceller = new EchoCanceller({ reference, linear: o.linear ?? true, checkStalls: o.checkStalls, onReadingMoved: o.onReadingMoved, onFrame: o.onFrame });
  o.onCanceller?.(canceller);
  const output = new Float32Array(total);
  const networkMs = o.networkMs ?? 0;
  const frame = SEND_FRAME;
  const chunk = 320;
  let sentFrames = 0;
  let outAt = 0;
  let processMs = 0;
  // Each output handed on: where it ends, and the microphone captured when it went.
  const emittedEnds: number[] = [];
  const emittedAt: number[] = [];
  const serverMsPerSample = (1 - (o.clientClockPpm ?? 0) / 1e6) / 16;
  for (let captured = chunk; captured <= total; captured += chunk) {
    const arrivalMs = captured * serverMsPerSample + networkMs;
    // The server sends each 100 ms frame of the answer when it starts playing.
    while (sentFrames * frame < total && sentFrames * frame * serverMsPerSample <= arrivalMs) {
      const atMs = (sentFrames * frame) / 16;
      const unsent = o.unsent && atMs >= o.unsent.fromMs && atMs < o.unsent.toMs;
      const stalled = o.referenceStall && atMs >= o.referenceStall.atMs ? o.referenceStall.gapMs : 0;
      if (!unsent) reference.sent(speaker.subarray(sentFrames * frame, Math.min(total, (sentFrames + 1) * frame)), 16000, sentFrames * frame * serverMsPerSample + stalled);
      sentFrames++;
    }
    const capturedMs = (captured - chunk) / 16;
    if (o.micGap && capturedMs >= o.micGap.fromMs && capturedMs < o.micGap.toMs) {
      outAt += chunk; // output stays aligned with the microphone (silence where nothing was sent)
      continue;
    }
    const t0 = performance.now();
    const out = canceller.process(mic.subarray(captured - chunk, captured), arrivalMs);
    processMs += performance.now() - t0;
    output.set(out, outAt);
    outAt += out.length;
    if (out.length > 0) {
      emittedEnds.push(outAt);
      emittedAt.push(captured);
    }
    if (o.onOutput && out.length > 0) await o.onOutput(out);
  }
  const heldBackMs = (sample: number): number => {
    // Without holding back, a sample goes on with the chunk that completes it.
    const due = Math.ceil((sample + 1) / chunk) * chunk;
    const k = emittedEnds.findIndex((end) => end > sample);
    return Math.max(0, (k < 0 ? total : emittedAt[k]!) - due) / 16;
  };
  return { mic, echo, near, output, canceller, processMs, heldBackMs };
}

/** What a loudspeaker `ppm` slow plays of `x`: each run (from 0 and from each of `runStarts`) stretched from its start. */
function slowedRuns(x: Float32Array, ppm: number, runStarts: number[]): Float32Array {
  const out = new Float32Array(x.length);
  const starts = [0, ...runStarts];
  const block = new Float32Array(16);
  for (let r = 0; r < starts.length; r++) {
    const start = starts[r]!;
    // A run may start past the end of a sim cut short (a barge-in's).
    const end = Math.min(starts[r + 1] ?? x.length, x.length);
    for (let n = start; n < end; n += block.length) {
      const from = start + (n - start) * (1 - ppm / 1e6);
      const { first, span } = fractionalSpan(from, block.length);
      const src = new Float32Array(span);
      for (let j = 0; j < span; j++) src[j] = first + j >= 0 && first + j < x.length ? x[first + j]! : 0;
      readAtFraction(src, first, from, block);
      out.set(block.subarray(0, Math.min(block.length, end - n)), n);
    }
  }
  return out;
}

/**
 * `x` with what plays from `at` on moved `shift` samples later (silence inserted at `at`; negative:
 * earlier, over the silence before `at`), cut to its length. A shift between samples (a client
 * whose run begins between two of the server's samples) reads the run through a fractional delay.
 */
function withRunShift(x: Float32Array, at: number, shift: number): Float32Array {
  if (!Number.isInteger(shift)) return withFractionalRunShift(x, at, shift);
  const out = new Float32Array(x.length);
  out.set(x.subarray(0, Math.min(at, at + shift)));
  const run = x.subarray(at, Math.max(at, x.length - Math.max(0, shift)));
  out.set(run, at + shift);
  return out;
}

function withFractionalRunShift(x: Float32Array, at: number, shift: number): Float32Array {
  const out = new Float32Array(x.length);
  const start = at + Math.floor(shift);
  out.set(x.subarray(0, Math.min(at, start)));
  // From `start` on, x read `shift` samples earlier (the samples before `at` it reaches are the silence before the run).
  const from = start - shift;
  const { first, span } = fractionalSpan(from, x.length - start);
  const src = new Float32Array(span);
  for (let j = 0; j < span; j++) src[j] = first + j >= 0 && first + j < x.length ? x[first + j]! : 0;
  readAtFraction(src, first, from, out.subarray(start));
  return out;
}

/** Energy ratio of a over b in dB over [from, to) samples. */
export function ratioDb(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let ea = 0;
  let eb = 0;
  for (let i = from; i < to; i++) {
    ea += a[i] * a[i];
    eb += b[i] * b[i];
  }
  return 10 * Math.log10(ea / Math.max(eb, 1e-20));
}

/**
 * ERLE over [from, to): microphone energy over output energy, counting only 20 ms blocks where
 * the echo is within 30 dB of `peak` (default: the loudest echo block in the range), so the
 * microphone's noise in the speech's pauses does not count as echo left over.
 */
export function erleDb(mic: Float32Array, output: Float32Array, echo: Float32Array, from: number, to: number, peak = peakBlockEnergy(echo, from, to)): number {
  const block = 320;
  let em = 0;
  let eo = 0;
  for (let i = from; i + block <= to; i += block) {
    if (energy(echo, i, i + block) < peak * 1e-3) continue;
    em += energy(mic, i, i + block);
    eo += energy(output, i, i + block);
  }
  return em === 0 ? Number.NaN : 10 * Math.log10(em / Math.max(eo, 1e-20));
}

/**
 * Convergence: the first time (ms) a 500 ms window with echo reaches `targetDb` of ERLE, and the
 * share of the later windows that stay there (word boundaries and the filter re-adapting dip).
 */
export function convergence(mic: Float32Array, output: Float32Array, echo: Float32Array, targetDb: number): { firstMs: number | null; heldShare: number } {
  const win = 8000;
  const end = output.length - (output.length % 320);
  const peak = peakBlockEnergy(echo, 0, end);
  let firstMs: number | null = null;
  let later = 0;
  let held = 0;
  for (let at = 0; at + win <= end; at += win) {
    const e = erleDb(mic, output, echo, at, at + win, peak);
    if (Number.isNaN(e)) continue;
    if (firstMs === null) {
      if (e >= targetDb) firstMs = at / 16;
      continue;
    }
    later++;
    if (e >= targetDb) held++;
  }
  return { firstMs, heldShare: later ? held / later : 0 };
}

function peakBlockEnergy(x: Float32Array, from: number, to: number): number {
  let peak = 0;
  for (let i = from; i + 320 <= to; i += 320) peak = Math.max(peak, energy(x, i, i + 320));
  return peak;
}

function energy(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return s;
}

/**
 * simulateEcho with the canceller's output going into the real VAD front-end, gated by the
 * canceller's onset gate as a session's is (`gate: false`: no gate, and `bypass` skips the
 * canceller too: the session with echo cancellation off). Returns the speech onsets (ms), and
 * the tentative ones (voice_onset: an answer pauses there, and resumes if nothing follows).
 */
export async function onsetsThroughFrontEnd(
  silero: SileroModel,
  sim: Omit<EchoSimOptions, 'onOutput' | 'onCanceller'>,
  options: { gate: boolean; bypass?: boolean },
): Promise<EchoSimResult & { onsets: number[]; tentative: number[]; suppressed: number; onsetsHeldMs: number[] }> {
  const onsets: number[] = [];
  const tentative: number[] = [];
  let suppressed = 0;
  let canceller: EchoCanceller | null = null;
  const frontEnd = new AudioFrontEnd({
    vad: new VadScheduler(silero),
    mel: null,
    turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    tuning: { negativeThresholdOffset: 0.15, minSpeechMs: MIN_SPEECH_MS, maxSegmentMs: 30000, maxVadBacklogMs: 600000 },
    onEvent: (e) => {
      if (e.type === 'speech_started') onsets.push(e.speechOnsetMs);
      if (e.type === 'voice_onset') tentative.push(e.speechOnsetMs);
    },
    ...(options.gate ? { onsetGate: { allowsOnset: (s: number, e: number, c: boolean) => canceller!.allowsOnset(s, e, c), mayBridge: (s: number, e: number) => canceller!.mayBridge(s, e), mayLead: (s: number, e: number) => canceller!.mayLead(s, e), suppressedOnset: () => void suppressed++ } } : {}),
  });
  let pushed = 0;
  const result = await simulateEcho({
    ...sim,
    onCanceller: (c) => {
      canceller = c;
      if (options.bypass) c.bypass = true;
    },
    onOutput: async (out) => {
      frontEnd.push(out);
      pushed += out.length;
      if (pushed % 3200 === 0) await frontEnd.whenIdle();
    },
  });
  await frontEnd.whenIdle();
  frontEnd.close();
  // How much later each turn could have started than with nothing held back: the output at its
  // earliest decision (the minimum speech after its onset) held back that long (EchoSimResult.heldBackMs).
  const onsetsHeldMs = onsets.map((t) => result.heldBackMs(Math.round((t + MIN_SPEECH_MS) * 16)));
  return { ...result, onsets, tentative, suppressed, onsetsHeldMs };
}

// Audio load: N sessions stream real speech at real-time pace through the real WebSocket path
// (binary PCM16 frames at 16 kHz) and the lag probe measures how far behind real time the
// server's VAD + Mel front-end runs.
//
// Lag probe. The VAD ends a turn on the first 512-sample frame whose end lies `silence_duration_ms`
// (rounded up to whole frames) past the first silent frame, and speech_stopped reports where the
// speech ended as `audio_end_ms`. With the VAD's hysteresis off (the capacity server runs with
// audio.vad.negativeThresholdOffset = 0; the cost per frame is the same) that end IS the first
// silent frame, so the sample that triggers speech_stopped is known exactly:
//   D = audio_end_ms * 16 + ceil(silence_ms * 16 / 512) * 512,
// and the server could not have decided before the 20 ms chunk holding sample D - 1 arrived.
// lag = arrival of speech_stopped - send time of that chunk: queueing + VAD + Mel + event
// delivery, and nothing of the VAD's accuracy or of the configured silence. (With hysteresis on,
// frames between the two thresholds would move the decision by whole frames and pass for lag;
// test/bench/lag-probe.test.ts replays the front-end offline to check D.)
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { VAD_FRAME_SAMPLES } from '../../../server/audio/vad/silero.js';
import { RealtimeFeeder } from './feeder.js';
import { buildTape, CHUNK_MS, CHUNK_SAMPLES, SAMPLES_PER_MS, type Tape } from './speech-audio.js';
import { round, summarize, type Summary } from './stats.js';
import { benchSessionConfig, openSessions } from './ws-session.js';

export interface AudioTrialParams {
  wsUrl: string;
  sessions: number;
  /** Audio fed per session. */
  durationMs: number;
  /** turn_detection.silence_duration_ms. */
  silenceMs: number;
  /** Noise floor between clips (more than silenceMs: each clip is one turn). */
  gapMs: number;
  /** Wait after the last chunk for the last turn events. */
  drainMs: number;
}

export interface AudioTrialResult {
  sessions: number;
  durationMs: number;
  lagMs: Summary;
  turns: { expected: number; detected: number; ratio: number };
  /** Probe events that arrived before the chunk they depend on was sent (must be 0). */
  probeViolations: number;
  senderLatenessMs: Summary;
  clientEventLoopDelayP99Ms: number;
  connectMs: number;
  errors: Record<string, number>;
  audioSource: string;
}

/** The 20 ms chunk (index in the session's stream) whose arrival lets the VAD end a turn that stopped at audioEndMs. */
export function decisionChunk(audioEndMs: number, silenceMs: number): number {
  const decisionSample = Math.round(audioEndMs * SAMPLES_PER_MS) + Math.ceil((silenceMs * SAMPLES_PER_MS) / VAD_FRAME_SAMPLES) * VAD_FRAME_SAMPLES;
  return Math.floor((decisionSample - 1) / CHUNK_SAMPLES);
}

/** Server config of the capacity runs: hysteresis off, so that audio_end_ms pins the decision frame. */
export const CAPACITY_SERVER_CONFIG = { audio: { vad: { negativeThresholdOffset: 0 } } };

/** Where session i starts in the tape: at a clip start, sessions spread over the clips. */
export function sessionOffsets(tape: Tape, gapMs: number, sessions: number): number[] {
  const clipStarts = [0, ...tape.clipEndChunks.slice(0, -1).map((e) => e + Math.ceil(gapMs / CHUNK_MS))];
  return Array.from({ length: sessions }, (_v, i) => clipStarts[(i * 7) % clipStarts.length]!);
}

let tapeCache: { gapMs: number; tape: Tape } | null = null;

export function tapeFor(gapMs: number): Tape {
  if (tapeCache?.gapMs !== gapMs) tapeCache = { gapMs, tape: buildTape(gapMs) };
  return tapeCache.tape;
}

export async function runAudioTrial(p: AudioTrialParams): Promise<AudioTrialResult> {
  const tape = tapeFor(p.gapMs);
  const turnDetection = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: p.silenceMs, create_response: false, interrupt_response: false };
  const t0 = performance.now();
  const sessions = await openSessions(p.wsUrl, p.sessions, benchSessionConfig(turnDetection));
  const connectMs = performance.now() - t0;

  const maxChunks = Math.ceil(p.durationMs / CHUNK_MS);
  const offsets = sessionOffsets(tape, p.gapMs, sessions.length);
  const feeder = new RealtimeFeeder(
    sessions.map((session, i) => {
      let k = offsets[i]!;
      return { session, next: () => tape.chunks[k++ % tape.chunks.length]! };
    }),
    maxChunks,
  );
  const lags: number[] = [];
  let violations = 0;
  sessions.forEach((s, i) => {
    s.onEvent(({ event, atMs }) => {
      if (event.type !== 'input_audio_buffer.speech_stopped') return;
      const sentAt = feeder.sentAt(i, decisionChunk(event.audio_end_ms as number, p.silenceMs));
      if (Number.isNaN(sentAt) || atMs < sentAt) violations++;
      else lags.push(atMs - sentAt);
    });
  });

  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  feeder.start();
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (!feeder.running) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
  await new Promise((r) => setTimeout(r, p.drainMs));
  loop.disable();

  const errors: Record<string, number> = {};
  for (const s of sessions) for (const [code, n] of s.errors) errors[code] = (errors[code] ?? 0) + n;
  for (const s of sessions) s.close();
  const expected = expectedTurns(tape, offsets, feeder.sent, p.silenceMs);
  return {
    sessions: p.sessions,
    durationMs: p.durationMs,
    lagMs: summarize(lags),
    turns: { expected, detected: lags.length + violations, ratio: expected ? round((lags.length + violations) / expected) : 0 },
    probeViolations: violations,
    senderLatenessMs: feeder.latenessSummary(),
    clientEventLoopDelayP99Ms: round(loop.percentile(99) / 1e6),
    connectMs: round(connectMs),
    errors,
    audioSource: tape.source,
  };
}

/** Clips whose turn end (clip end + silence) was fed in full, over all sessions. */
function expectedTurns(tape: Tape, offsets: number[], sent: Int32Array, silenceMs: number): number {
  const L = tape.chunks.length;
  const needChunks = Math.ceil(silenceMs / CHUNK_MS) + 2;
  let total = 0;
  offsets.forEach((offset, i) => {
    const fed = sent[i]!;
    for (const end of tape.clipEndChunks) {
      for (let k = (end - offset + L) % L; k + needChunks <= fed; k += L) total++;
    }
  });
  return total;
}

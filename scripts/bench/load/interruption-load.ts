// Interruption detection delay with the real VAD on synthesized speech: while a scripted answer
// streams, each session plays the espeak-ng layouts (known turn onsets) at real-time pace.
//   onset time   = when the onset sample was "spoken": the send time of its 20 ms chunk minus the
//                  part of the chunk after the onset (a microphone sends a chunk once captured)
//   detection    = arrival of duet.response.paused - onset time (what the user experiences)
//   VAD part     = arrival of input_audio_buffer.speech_started - onset time
//   guard part   = paused - speech_started (minInterruptSpeechMs + scheduler overhead)
// The monitor answers `<2>` so the answer resumes and the next turn interrupts it again.
import { ChunkQueue, drained } from './chunk-queue.js';
import { RealtimeFeeder } from './feeder.js';
import { CHUNK_MS, CHUNK_SAMPLES, SAMPLES_PER_MS, speechLayouts, toChunks } from './speech-audio.js';
import { summarize, type Summary } from './stats.js';
import { benchSessionConfig, openSessions, type Arrival, type WsSession } from './ws-session.js';

export interface InterruptionParams {
  wsUrl: string;
  sessions: number;
  passes: number;
  silenceMs: number;
}

export interface InterruptionResult {
  sessions: number;
  onsets: number;
  /** Onsets with a pause before the next onset. */
  detected: number;
  /** Pauses not attributable to a speech onset (e.g. noise). */
  extraPauses: number;
  detectionDelayMs: Summary;
  onsetToSpeechStartedMs: Summary;
  speechStartedToPausedMs: Summary;
  senderLatenessMs: Summary;
  errors: Record<string, number>;
  layouts: string[];
}

interface Window {
  stream: number;
  startChunk: number;
  turns: { onsetMs: number }[];
  pauses: Arrival[];
  starts: Arrival[];
}

async function playLayouts(s: WsSession, mic: ChunkQueue, layouts: { chunks: Buffer[]; turns: { onsetMs: number }[] }[], p: InterruptionParams, stream: number, windows: Window[]): Promise<void> {
  await new Promise((r) => setTimeout(r, (stream * 1000) / p.sessions));
  for (let pass = 0; pass < p.passes; pass++) {
    for (const layout of layouts) {
      const firstDelta = s.expect('response.output_text.delta');
      s.send({ type: 'response.create' });
      await firstDelta;
      const w: Window = { stream, startChunk: mic.enqueue(layout.chunks), turns: layout.turns, pauses: [], starts: [] };
      windows.push(w);
      const listen = (a: Arrival) => {
        if (a.event.type === 'duet.response.paused') w.pauses.push(a);
        else if (a.event.type === 'input_audio_buffer.speech_started') w.starts.push(a);
      };
      s.onEvent(listen);
      await drained(mic);
      await new Promise((r) => setTimeout(r, p.silenceMs + 1000));
      s.offEvent(listen);
      const done = s.expect('response.done', undefined, 3000);
      s.send({ type: 'response.cancel' });
      await done.catch(() => {});
    }
  }
}

export async function runInterruption(p: InterruptionParams): Promise<InterruptionResult> {
  const layouts = speechLayouts().map((l) => ({ name: l.name, chunks: toChunks(l.samples), turns: l.turns }));
  const turnDetection = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: p.silenceMs, create_response: true, interrupt_response: true };
  const sessions = await openSessions(p.wsUrl, p.sessions, benchSessionConfig(turnDetection));
  const mics = sessions.map(() => new ChunkQueue());
  const perPassMs = layouts.reduce((sum, l) => sum + l.chunks.length * CHUNK_MS + p.silenceMs + 3000, 0);
  const feeder = new RealtimeFeeder(
    sessions.map((session, i) => ({ session, next: mics[i]!.next })),
    Math.ceil((perPassMs * p.passes + 10000) / CHUNK_MS),
  );
  const windows: Window[] = [];
  feeder.start();
  try {
    await Promise.all(sessions.map((s, i) => playLayouts(s, mics[i]!, layouts, p, i, windows)));
  } finally {
    feeder.stop();
  }

  const detection: number[] = [];
  const vad: number[] = [];
  const guard: number[] = [];
  let onsets = 0;
  let attributed = 0;
  let pauses = 0;
  for (const w of windows) {
    pauses += w.pauses.length;
    const times = w.turns.map((t) => {
      const sample = w.startChunk * CHUNK_SAMPLES + t.onsetMs * SAMPLES_PER_MS;
      const k = Math.floor(sample / CHUNK_SAMPLES);
      return feeder.sentAt(w.stream, k) - ((k + 1) * CHUNK_SAMPLES - sample) / SAMPLES_PER_MS;
    });
    times.forEach((onset, i) => {
      onsets++;
      const until = times[i + 1] ?? Infinity;
      const pause = w.pauses.find((a) => a.atMs > onset && a.atMs < until);
      const start = w.starts.find((a) => a.atMs > onset && a.atMs < until);
      if (!pause) return;
      attributed++;
      detection.push(pause.atMs - onset);
      if (start && start.atMs <= pause.atMs) {
        vad.push(start.atMs - onset);
        guard.push(pause.atMs - start.atMs);
      }
    });
  }
  const errors: Record<string, number> = {};
  for (const s of sessions) for (const [code, n] of s.errors) errors[code] = (errors[code] ?? 0) + n;
  for (const s of sessions) s.close();
  delete errors.response_cancel_not_active;
  return {
    sessions: p.sessions,
    onsets,
    detected: attributed,
    extraPauses: pauses - attributed,
    detectionDelayMs: summarize(detection),
    onsetToSpeechStartedMs: summarize(vad),
    speechStartedToPausedMs: summarize(guard),
    senderLatenessMs: feeder.latenessSummary(),
    errors,
    layouts: layouts.map((l) => l.name),
  };
}

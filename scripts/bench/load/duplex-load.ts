// Duplex scheduler overhead at N concurrent sessions (scripted instances). Each session loops:
//  - text probes (x probesPerCycle):
//      input_audio_buffer.clear -> .cleared            baseline: a WebSocket round trip through
//                                                      the session queue that does almost nothing
//      response.create (idle)   -> response.created     start an answer
//      response.create (answering) -> response.created  `<3>` text query: interrupt, swap, restart
//      response.cancel -> response.done
//  - one spoken turn during an answer (the monitor says `<2>`, the answer resumes):
//      speech_started -> duet.response.paused, minus guardWaitMs (what is left of the minimum-speech guard)
//      speech_stopped -> duet.monitor.state, minus the monitor's own elapsed_ms
// Round trips are reported raw and as (probe - baseline) paired within the same probe; the
// spoken-turn intervals are between two events of one socket, so transport cancels out.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ChunkQueue, drained } from './chunk-queue.js';
import { RealtimeFeeder } from './feeder.js';
import { CHUNK_MS, speechClips, toChunks } from './speech-audio.js';
import { pairedDifferences, round, summarize, type Summary } from './stats.js';
import { BenchTimeout, openSessions, benchSessionConfig, type ServerEvent, type WsSession } from './ws-session.js';

export interface DuplexLevelParams {
  wsUrl: string;
  sessions: number;
  /** New cycles start until this much time has passed. */
  durationMs: number;
  probesPerCycle: number;
  silenceMs: number;
  /**
   * How long the scheduler waits after speech_started before pausing: minInterruptSpeechMs counts
   * from the speech onset, so it is what the detector's confirmation has not already covered.
   */
  guardWaitMs: number;
  /** The script's decisionDelayMs. */
  decisionDelayMs: number;
}

export interface DuplexLevelResult {
  sessions: number;
  cycles: number;
  timeouts: number;
  baselineRttMs: Summary;
  createRttMs: Summary;
  createInterruptRttMs: Summary;
  createOverheadMs: Summary;
  createInterruptOverheadMs: Summary;
  onsetToPausedOverheadMs: Summary;
  segmentToDecisionOverheadMs: Summary;
  segmentToDecisionMinusNominalMs: Summary;
  monitorElapsedMs: Summary;
  senderLatenessMs: Summary;
  clientEventLoopDelayP99Ms: number;
  errors: Record<string, number>;
  audioSource: string;
}

interface Samples {
  baseline: number[];
  create: number[];
  createBaseline: number[];
  interrupt: number[];
  interruptBaseline: number[];
  onset: number[];
  decision: number[];
  decisionNominal: number[];
  elapsed: number[];
  cycles: number;
  timeouts: number;
}

const isDelta = (e: ServerEvent) => e.type === 'response.output_text.delta';

async function roundTrip(s: WsSession, event: Record<string, unknown>, reply: string, predicate?: (e: ServerEvent) => boolean): Promise<number> {
  const arrival = s.expect(reply, predicate);
  const sentAt = s.send(event);
  return (await arrival).atMs - sentAt;
}

async function textProbe(s: WsSession, out: Samples): Promise<void> {
  const base = await roundTrip(s, { type: 'input_audio_buffer.clear' }, 'input_audio_buffer.cleared');
  const firstDelta = s.expect('response.output_text.delta');
  const create = await roundTrip(s, { type: 'response.create' }, 'response.created');
  await firstDelta;
  const interrupt = await roundTrip(s, { type: 'response.create' }, 'response.created');
  const done = s.expect('response.done');
  s.send({ type: 'response.cancel' });
  await done;
  out.baseline.push(base);
  out.create.push(create);
  out.createBaseline.push(base);
  out.interrupt.push(interrupt);
  out.interruptBaseline.push(base);
}

async function spokenTurn(s: WsSession, mic: ChunkQueue, clip: Buffer[], p: DuplexLevelParams, out: Samples): Promise<void> {
  const firstDelta = s.expect('response.output_text.delta');
  s.send({ type: 'response.create' });
  await firstDelta;
  const started = s.expect('input_audio_buffer.speech_started', undefined, 5000);
  const paused = s.expect('duet.response.paused', undefined, 6000);
  const stopped = s.expect('input_audio_buffer.speech_stopped', undefined, 6000);
  const decided = s.expect('duet.monitor.state', (e) => e.item_id !== null, 8000);
  mic.enqueue(clip);
  const [a, b, c, d] = await Promise.all([started, paused, stopped, decided]);
  const elapsed = d.event.elapsed_ms as number;
  out.onset.push(b.atMs - a.atMs - p.guardWaitMs);
  out.decision.push(d.atMs - c.atMs - elapsed);
  out.decisionNominal.push(d.atMs - c.atMs - p.decisionDelayMs);
  out.elapsed.push(elapsed);
  await drained(mic);
}

async function sessionLoop(s: WsSession, mic: ChunkQueue, clips: Buffer[][], index: number, p: DuplexLevelParams, out: Samples, deadline: number): Promise<void> {
  await new Promise((r) => setTimeout(r, (index * 1000) / p.sessions)); // stagger the sessions
  for (let cycle = 0; performance.now() < deadline; cycle++) {
    try {
      for (let j = 0; j < p.probesPerCycle; j++) await textProbe(s, out);
      await spokenTurn(s, mic, clips[(index + cycle) % clips.length]!, p, out);
      out.cycles++;
    } catch (err) {
      if (!(err instanceof BenchTimeout) || s.closed) throw err;
      out.timeouts++;
      await drained(mic);
    }
    // End the answer (if any) and let the turn's silence run out before the next cycle.
    s.send({ type: 'response.cancel' });
    await new Promise((r) => setTimeout(r, p.silenceMs + 100));
  }
}

export async function runDuplexLevel(p: DuplexLevelParams): Promise<DuplexLevelResult> {
  const { clips, source } = speechClips(32);
  const clipChunks = clips.map((c) => toChunks(c));
  const turnDetection = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: p.silenceMs, create_response: true, interrupt_response: true };
  const sessions = await openSessions(p.wsUrl, p.sessions, benchSessionConfig(turnDetection));
  const mics = sessions.map(() => new ChunkQueue());
  const feeder = new RealtimeFeeder(
    sessions.map((session, i) => ({ session, next: mics[i]!.next })),
    Math.ceil((p.durationMs + 60000) / CHUNK_MS),
  );
  const out: Samples = { baseline: [], create: [], createBaseline: [], interrupt: [], interruptBaseline: [], onset: [], decision: [], decisionNominal: [], elapsed: [], cycles: 0, timeouts: 0 };
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  feeder.start();
  const deadline = performance.now() + p.durationMs;
  try {
    await Promise.all(sessions.map((s, i) => sessionLoop(s, mics[i]!, clipChunks, i, p, out, deadline)));
  } finally {
    feeder.stop();
    loop.disable();
  }
  const errors: Record<string, number> = {};
  for (const s of sessions) for (const [code, n] of s.errors) errors[code] = (errors[code] ?? 0) + n;
  for (const s of sessions) s.close();
  // response.cancel after a cycle's answer already ended answers response_cancel_not_active: expected.
  delete errors.response_cancel_not_active;
  return {
    sessions: p.sessions,
    cycles: out.cycles,
    timeouts: out.timeouts,
    baselineRttMs: summarize(out.baseline),
    createRttMs: summarize(out.create),
    createInterruptRttMs: summarize(out.interrupt),
    createOverheadMs: summarize(pairedDifferences(out.create, out.createBaseline)),
    createInterruptOverheadMs: summarize(pairedDifferences(out.interrupt, out.interruptBaseline)),
    onsetToPausedOverheadMs: summarize(out.onset),
    segmentToDecisionOverheadMs: summarize(out.decision),
    segmentToDecisionMinusNominalMs: summarize(out.decisionNominal),
    monitorElapsedMs: summarize(out.elapsed),
    senderLatenessMs: feeder.latenessSummary(),
    clientEventLoopDelayP99Ms: round(loop.percentile(99) / 1e6),
    errors,
    audioSource: source,
  };
}

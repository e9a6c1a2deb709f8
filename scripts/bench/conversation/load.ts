// One level of bench:conversation, run in the load generator process: N sessions, each a
// conversation through the real WebSocket path.
//   microphone   a live 20 ms stream at real-time pace (RealtimeFeeder): noise floor, and now and
//                then a speech clip (load/speech-audio.ts) after a 3-5 s pause
//   turns        a spoken question -> speech_stopped -> the spoken answer, played at 1x by the client
//                (listener.ts counts underruns) until it ends; every `bargeInEvery`-th question is
//                followed 1-2 s into its answer by another one spoken over it (the scripted monitor
//                says <1>: the answer is cut, a new one starts); the third of every `textEvery` turns
//                is typed (conversation.item.create + response.create) instead
//   listen mode  the same microphone and turns, but no answers (create_response off): what a
//                session that only listens costs, for the comparison row
// End of speech is the send time of the clip's last chunk (a microphone sends a chunk once captured).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ChunkQueue, drained } from '../load/chunk-queue.js';
import { RealtimeFeeder } from '../load/feeder.js';
import { CHUNK_MS, overNoiseFloor, speechClips, toChunks } from '../load/speech-audio.js';
import { seededRandom } from '../load/seeded-random.js';
import { round, summarize, type Summary } from '../load/stats.js';
import { openSessions, type WsSession } from '../load/ws-session.js';
import { AnswerListener } from './listener.js';

export type ConversationMode = 'conversation' | 'listen';

export interface ConversationLevelParams {
  wsUrl: string;
  sessions: number;
  mode: ConversationMode;
  /** New turns start until this much time has passed. */
  durationMs: number;
  silenceMs: number;
  /** Every n-th spoken question is barged in on (0: never). */
  bargeInEvery: number;
  /** The third of every n turns is typed (n > 2; else never). */
  textEvery: number;
  /** End of speech -> first audio beyond this is a late turn. */
  lateMs: number;
  seed: number;
  /** Sessions say they cancel echo themselves (duet.echo_cancellation false, as the browser page does): Duet's canceller is off. */
  clientCancelsEcho?: boolean;
}

export interface ConversationLevelResult {
  sessions: number;
  mode: ConversationMode;
  /** `missedBargeIns`: of the missed turns, those spoken over an answer (a barge-in the server never heard end). */
  turns: { spoken: number; text: number; bargeIns: number; bargeInsCut: number; missed: number; missedBargeIns: number; late: number };
  /** End of speech -> input_audio_buffer.speech_stopped (includes the silence rule, silenceMs). */
  speechStoppedMs: Summary;
  /** End of speech -> first answer audio at the client (questions asked in silence). */
  firstAudioMs: Summary;
  /** End of the barge-in speech -> first audio of the new answer (adds the monitor's decision). */
  bargeInFirstAudioMs: Summary;
  /** response.create -> first audio (typed turns). */
  textFirstAudioMs: Summary;
  /** Gaps heard inside an answer, ms (count = underruns). */
  underrunMs: Summary;
  answers: number;
  senderLatenessMs: Summary;
  clientEventLoopDelayP99Ms: number;
  /** The load generator's own CPU over the level, as a fraction of one core. */
  clientCpuCores: number;
  errors: Record<string, number>;
  audioSource: string;
  /** Sessions whose session.updated said Duet cancels their echo (duet.echo_cancellation). */
  serverCancelsEchoSessions: number;
}

interface Shared {
  p: ConversationLevelParams;
  feeder: RealtimeFeeder;
  clips: Buffer[][];
  deadline: number;
  out: {
    stopped: number[];
    first: number[];
    bargeFirst: number[];
    textFirst: number[];
    spoken: number;
    text: number;
    bargeIns: number;
    bargeInsCut: number;
    missed: number;
    missedBargeIns: number;
    late: number;
    answers: number;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) return false;
    await sleep(20);
  }
  return true;
}

class Conversation {
  private readonly listener = new AnswerListener();
  private readonly random: () => number;
  private clipIndex: number;

  constructor(
    private readonly s: WsSession,
    private readonly mic: ChunkQueue,
    private readonly stream: number,
    private readonly sh: Shared,
  ) {
    s.onEvent(this.listener.onEvent);
    this.random = seededRandom(sh.p.seed * 1000 + stream + 1);
    this.clipIndex = stream;
  }

  get underrunsMs(): number[] {
    return this.listener.underrunsMs;
  }

  async run(): Promise<void> {
    const { p, deadline } = this.sh;
    await sleep(this.random() * Math.min(5000, p.durationMs / 3));
    for (let turn = 0; performance.now() < deadline && !this.s.closed; turn++) {
      // The typed turn is the third of each `textEvery` (turn 2, 2 + textEvery, ...): even a short level has one.
      if (p.mode === 'conversation' && p.textEvery > 2 && turn % p.textEvery === 2) await this.textTurn();
      else await this.spokenTurn(p.mode === 'conversation' && p.bargeInEvery > 0 && turn % p.bargeInEvery === 1);
      await sleep(3000 + this.random() * 2000);
    }
  }

  private nextClip(): Buffer[] {
    return this.sh.clips[this.clipIndex++ % this.sh.clips.length]!;
  }

  /** Speaks a clip; returns the answer's response id (null: missed, or listen mode). */
  private async ask(barge: boolean): Promise<string | null> {
    const { p, out, feeder } = this.sh;
    const clip = this.nextClip();
    const clipMs = clip.length * CHUNK_MS;
    const stopped = this.s.expect('input_audio_buffer.speech_stopped', undefined, clipMs + 5000);
    const created = p.mode === 'conversation' ? this.s.expect('response.created', undefined, clipMs + 8000) : null;
    const start = this.mic.enqueue(clip);
    out.spoken++;
    const stop = await stopped.catch(() => null);
    await drained(this.mic);
    const endOfSpeech = feeder.sentAt(this.stream, start + clip.length - 1);
    if (!stop) {
      out.missed++;
      if (barge) out.missedBargeIns++;
      return null;
    }
    out.stopped.push(stop.atMs - endOfSpeech);
    if (!created) return null;
    const c = await created.catch(() => null);
    const id = c ? String((c.event.response as { id: string }).id) : null;
    const firstAt = () => (id ? this.listener.firstAudioAt.get(id) : undefined);
    if (!id || !(await until(() => firstAt() !== undefined || this.listener.doneAt.has(id), 10000)) || firstAt() === undefined) {
      out.missed++;
      if (barge) out.missedBargeIns++;
      return null;
    }
    const latency = firstAt()! - endOfSpeech;
    (barge ? out.bargeFirst : out.first).push(latency);
    if (latency > p.lateMs) out.late++;
    return id;
  }

  private async spokenTurn(bargeIn: boolean): Promise<void> {
    let id = await this.ask(false);
    if (!id) return;
    if (bargeIn) {
      await sleep(1000 + this.random() * 1000);
      if (!this.listener.doneAt.has(id)) {
        this.sh.out.bargeIns++;
        const clears = this.listener.clears;
        const next = await this.ask(true);
        if (this.listener.clears > clears) this.sh.out.bargeInsCut++;
        if (next) id = next;
      }
    }
    await this.answerEnd(id);
  }

  private async textTurn(): Promise<void> {
    const { out } = this.sh;
    out.text++;
    this.s.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And what about tomorrow?' }] } });
    const created = this.s.expect('response.created', undefined, 8000);
    const sentAt = this.s.send({ type: 'response.create' });
    const c = await created.catch(() => null);
    const id = c ? String((c.event.response as { id: string }).id) : null;
    if (!id || !(await until(() => this.listener.firstAudioAt.has(id) || this.listener.doneAt.has(id), 10000)) || !this.listener.firstAudioAt.has(id)) {
      out.missed++;
      return;
    }
    const latency = this.listener.firstAudioAt.get(id)! - sentAt;
    out.textFirst.push(latency);
    if (latency > this.sh.p.lateMs) out.late++;
    await this.answerEnd(id);
  }

  /** Waits for the answer's response.done, then for the client to finish playing it. */
  private async answerEnd(id: string): Promise<void> {
    if (await until(() => this.listener.doneAt.has(id), 60000)) this.sh.out.answers++;
    await sleep(this.listener.bufferedMs());
  }
}

export async function runConversationLevel(p: ConversationLevelParams): Promise<ConversationLevelResult> {
  const { clips, source } = speechClips(64);
  const turnDetection = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: p.silenceMs, create_response: p.mode === 'conversation', interrupt_response: true };
  const session = {
    type: 'realtime',
    output_modalities: [p.mode === 'conversation' ? 'audio' : 'text'],
    audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: turnDetection }, output: { format: { type: 'audio/pcm', rate: 24000 } } },
    ...(p.clientCancelsEcho ? { duet: { echo_cancellation: false } } : {}),
  };
  const sessions = await openSessions(p.wsUrl, p.sessions, session);
  const mics = sessions.map(() => new ChunkQueue());
  const feeder = new RealtimeFeeder(
    sessions.map((s, i) => ({ session: s, next: mics[i]!.next })),
    Math.ceil((p.durationMs + 90000) / CHUNK_MS),
  );
  const sh: Shared = {
    p,
    feeder,
    clips: clips.map((c, i) => toChunks(overNoiseFloor(c, i + 11))),
    deadline: 0,
    out: { stopped: [], first: [], bargeFirst: [], textFirst: [], spoken: 0, text: 0, bargeIns: 0, bargeInsCut: 0, missed: 0, missedBargeIns: 0, late: 0, answers: 0 },
  };
  const conversations = sessions.map((s, i) => new Conversation(s, mics[i]!, i, sh));
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  feeder.start();
  sh.deadline = performance.now() + p.durationMs;
  try {
    await Promise.all(conversations.map((c) => c.run()));
  } finally {
    feeder.stop();
    loop.disable();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const clientCpuCores = round((cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore));
  const errors: Record<string, number> = {};
  for (const s of sessions) for (const [code, n] of s.errors) errors[code] = (errors[code] ?? 0) + n;
  for (const s of sessions) s.close();
  const o = sh.out;
  return {
    sessions: p.sessions,
    mode: p.mode,
    turns: { spoken: o.spoken, text: o.text, bargeIns: o.bargeIns, bargeInsCut: o.bargeInsCut, missed: o.missed, missedBargeIns: o.missedBargeIns, late: o.late },
    speechStoppedMs: summarize(o.stopped),
    firstAudioMs: summarize(o.first),
    bargeInFirstAudioMs: summarize(o.bargeFirst),
    textFirstAudioMs: summarize(o.textFirst),
    underrunMs: summarize(conversations.flatMap((c) => c.underrunsMs)),
    answers: o.answers,
    senderLatenessMs: feeder.latenessSummary(),
    clientEventLoopDelayP99Ms: round(loop.percentile(99) / 1e6),
    clientCpuCores,
    errors,
    audioSource: source,
    serverCancelsEchoSessions: sessions.filter((s) => (s.session.duet as { echo_cancellation?: boolean } | undefined)?.echo_cancellation === true).length,
  };
}

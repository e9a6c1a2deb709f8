// `npm run bench:duplex`: the duplex core's benchmarks, whole server, scripted model instances.
//  1. Scheduler overhead at 1, 10 and 50 concurrent sessions (scripts/bench/load/duplex-load.ts),
//     in two set-ups: `vad` (the server's own Silero + Mel front-end hears the speech) and `gate`
//     (an energy gate replaces it, so only the scheduler and the session machinery are measured).
//     A fresh server per level, so its /metrics histograms describe that level alone.
//  2. Interruption detection delay with the real VAD on the espeak-ng layouts
//     (scripts/bench/load/interruption-load.ts), client side and from duet_interruption_detection_ms:
//     with the tentative pause at the first speech frames (the default) against the pause at VAD
//     confirmation (scheduler.tentativePause off), in the same run.
//  The overhead levels run with tentative pauses off, so onset->paused is the scheduler's own work
//  after speech_started, as before.
// Server pinned to core 0, load generator to core 1 (where taskset and two cores exist).
// Prints tables; writes bench-results/duplex.json. Options: --quick.
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Script } from '../../models/scripted/index.js';
import { CHUNK_MS } from './load/speech-audio.js';
import type { DuplexLevelParams, DuplexLevelResult } from './load/duplex-load.js';
import type { InterruptionParams, InterruptionResult } from './load/interruption-load.js';
import { LoadWorker, placement, ServerHandle, type Placement } from './load/processes.js';
import { bucketCounts, readCounter, readHistogram, type HistogramSnapshot } from './load/prometheus.js';
import { machineInfo, printTable, writeResults } from './load/report.js';
import { round } from './load/stats.js';

export type DetectorMode = 'vad' | 'gate';

export interface DuplexBenchOptions {
  levels?: number[];
  modes?: DetectorMode[];
  /** How long each level starts new cycles. */
  levelMs?: number;
  probesPerCycle?: number;
  interruption?: { sessions: number; passes: number } | null;
  overheadTargetMs?: number;
  /** Nice value for the server and load generator (see placement()); null: leave as is. */
  nice?: number | null;
  write?: boolean;
  print?: boolean;
}

const HISTOGRAMS = ['duet_interruption_detection_ms', 'duet_stop_delay_ms', 'duet_response_latency_ms', 'duet_monitor_decision_ms'] as const;

export interface DuplexLevel extends DuplexLevelResult {
  mode: DetectorMode;
  /** Largest p99 of the four overhead measures (response.create start, `<3>` interrupt, onset -> paused, segment -> decision). */
  worstOverheadP99Ms: number | null;
  histograms: Record<(typeof HISTOGRAMS)[number], HistogramSnapshot>;
  /** Server CPU over the level as a fraction of one core, and its event-loop delay p99. */
  serverCpuCores: number;
  serverLoopDelayP99Ms: number;
}

export interface DuplexBenchResult {
  machine: Record<string, unknown>;
  placement: Placement;
  settings: { minInterruptSpeechMs: number; decisionDelayMs: number; tokenDelayMs: number; silenceMs: number; levelMs: number };
  overhead: DuplexLevel[];
  overheadTargetMs: number;
  /** Worst-overhead p99 at the highest level, per mode. */
  atHighestLevel: Record<string, number | null>;
  /** Tentative pause at the first speech frames (the default). */
  interruption: InterruptionRun | null;
  /** The same onsets with the pause at VAD confirmation (scheduler.tentativePause off). */
  interruptionAtConfirmation: InterruptionRun | null;
}

export type InterruptionRun = InterruptionResult & {
  serverHistogram: HistogramSnapshot;
  serverBuckets: Record<string, number>;
  /** duet_tentative_pauses_total by outcome (confirmed, blip, short). */
  tentativePauses: Record<string, number>;
};

/** audio.vad.minSpeechMs default: the VAD confirms speech only after this much of it. */
const VAD_MIN_SPEECH_MS = 250;
const MIN_INTERRUPT_SPEECH_MS = 200;
const SILENCE_MS = 500;

function script(words: number, decisionDelayMs: number): Script {
  const text = Array.from({ length: words }, (_v, i) => `word${i}`).join(' ') + '.';
  return { replies: [{ text }], tokenDelayMs: 20, decisions: ['<2>'], rules: [], decisionDelayMs };
}

function serverConfig(tentativePause: boolean): Record<string, unknown> {
  return { scheduler: { tentativePause, minInterruptSpeechMs: MIN_INTERRUPT_SPEECH_MS, pauseTimeoutMs: 3000, echoGuardMs: 0 }, audio: { vad: { silenceDurationMs: SILENCE_MS } } };
}

async function histograms(server: ServerHandle): Promise<DuplexLevel['histograms']> {
  const text = await server.metrics();
  return Object.fromEntries(HISTOGRAMS.map((name) => [name, readHistogram(text, name)])) as DuplexLevel['histograms'];
}

export async function runDuplexBench(options: DuplexBenchOptions = {}): Promise<DuplexBenchResult> {
  const o = {
    levels: [1, 10, 50],
    modes: ['gate', 'vad'] as DetectorMode[],
    levelMs: 20000,
    probesPerCycle: 4,
    interruption: { sessions: 10, passes: 2 } as DuplexBenchOptions['interruption'],
    overheadTargetMs: 5,
    nice: null as number | null,
    write: true,
    print: true,
    ...options,
  };
  const loadAtStart = loadavg();
  const decisionDelayMs = 5;
  const where = placement(o.nice);
  const worker = await LoadWorker.start(where);
  const overhead: DuplexLevel[] = [];
  let interruption: DuplexBenchResult['interruption'] = null;
  let interruptionAtConfirmation: DuplexBenchResult['interruption'] = null;
  try {
    for (const mode of o.modes) {
      for (const sessions of o.levels) {
        const server = await ServerHandle.start({ config: serverConfig(false), script: script(200, decisionDelayMs), detector: mode }, where);
        try {
          const params: DuplexLevelParams = {
            wsUrl: server.wsUrl,
            sessions,
            durationMs: o.levelMs,
            probesPerCycle: o.probesPerCycle,
            silenceMs: SILENCE_MS,
            // The real VAD confirms speech after audio.vad.minSpeechMs of it; the gate after its first loud chunk.
            guardWaitMs: Math.max(0, MIN_INTERRUPT_SPEECH_MS - (mode === 'vad' ? VAD_MIN_SPEECH_MS : CHUNK_MS)),
            decisionDelayMs,
          };
          const before = await server.stats();
          const r = await worker.run<DuplexLevelResult>('duplex-level', params);
          const after = await server.stats();
          const load = { serverCpuCores: round((after.cpuUs - before.cpuUs) / 1000 / (after.wallMs - before.wallMs)), serverLoopDelayP99Ms: round(after.loopDelayP99Ms) };
          const p99s = [r.createOverheadMs.p99, r.createInterruptOverheadMs.p99, r.onsetToPausedOverheadMs.p99, r.segmentToDecisionOverheadMs.p99].filter((v): v is number => v !== null);
          overhead.push({ ...r, ...load, mode, worstOverheadP99Ms: p99s.length ? Math.max(...p99s) : null, histograms: await histograms(server) });
          if (o.print) console.log(`  ${mode} x${sessions}: ${r.cycles} cycles, worst overhead p99 ${overhead.at(-1)!.worstOverheadP99Ms} ms`);
        } finally {
          await server.stop();
        }
      }
    }
    if (o.interruption) {
      const run = async (tentativePause: boolean): Promise<InterruptionRun> => {
        const server = await ServerHandle.start({ config: serverConfig(tentativePause), script: script(600, decisionDelayMs), detector: 'vad' }, where);
        try {
          const params: InterruptionParams = { wsUrl: server.wsUrl, sessions: o.interruption!.sessions, passes: o.interruption!.passes, silenceMs: SILENCE_MS };
          const r = await worker.run<InterruptionResult>('interruption', params);
          const text = await server.metrics();
          const h = readHistogram(text, 'duet_interruption_detection_ms');
          return { ...r, serverHistogram: h, serverBuckets: bucketCounts(h), tentativePauses: readCounter(text, 'duet_tentative_pauses_total', 'outcome') };
        } finally {
          await server.stop();
        }
      };
      interruptionAtConfirmation = await run(false);
      interruption = await run(true);
    }
  } finally {
    await worker.stop();
  }
  const top = Math.max(...o.levels);
  const result: DuplexBenchResult = {
    machine: machineInfo(loadAtStart),
    placement: where,
    settings: { minInterruptSpeechMs: MIN_INTERRUPT_SPEECH_MS, decisionDelayMs, tokenDelayMs: 20, silenceMs: SILENCE_MS, levelMs: o.levelMs },
    overhead,
    overheadTargetMs: o.overheadTargetMs,
    atHighestLevel: Object.fromEntries(o.modes.map((m) => [m, overhead.find((l) => l.mode === m && l.sessions === top)?.worstOverheadP99Ms ?? null])),
    interruption,
    interruptionAtConfirmation,
  };
  if (o.print) printDuplex(result);
  if (o.write) console.log(`\nwrote ${writeResults('duplex', result)}`);
  return result;
}

function printDuplex(r: DuplexBenchResult): void {
  const pair = (s: { p50: number | null; p99: number | null }) => `${s.p50 ?? '-'} / ${s.p99 ?? '-'}`;
  printTable(
    'Scheduler overhead, ms p50 / p99 (RTT rows minus the clear->cleared baseline of the same probe; event rows minus the timer/model time)',
    ['mode', 'sessions', 'cycles', 'baseline RTT', 'create', '<3> interrupt', 'onset->paused', 'segment->decision', 'worst p99', 'timeouts', 'server cores', 'srv loop p99', 'client loop p99'],
    r.overhead.map((l) => [
      l.mode,
      l.sessions,
      l.cycles,
      pair(l.baselineRttMs),
      pair(l.createOverheadMs),
      pair(l.createInterruptOverheadMs),
      pair(l.onsetToPausedOverheadMs),
      pair(l.segmentToDecisionOverheadMs),
      l.worstOverheadP99Ms,
      l.timeouts,
      l.serverCpuCores,
      l.serverLoopDelayP99Ms,
      l.clientEventLoopDelayP99Ms,
    ]),
  );
  console.log(`\nTarget: worst p99 < ${r.overheadTargetMs} ms at the highest level: ${JSON.stringify(r.atHighestLevel)}`);
  printTable(
    'Server histograms per level (/metrics; estimated from buckets, ms p50 / p99)',
    ['mode', 'sessions', 'monitor decision', 'stop delay', 'response latency', 'interruption detection'],
    r.overhead.map((l) => [
      l.mode,
      l.sessions,
      `${l.histograms.duet_monitor_decision_ms.p50Estimate} / ${l.histograms.duet_monitor_decision_ms.p99Estimate}`,
      `${l.histograms.duet_stop_delay_ms.p50Estimate} / ${l.histograms.duet_stop_delay_ms.p99Estimate}`,
      `${l.histograms.duet_response_latency_ms.p50Estimate} / ${l.histograms.duet_response_latency_ms.p99Estimate}`,
      `${l.histograms.duet_interruption_detection_ms.p50Estimate} / ${l.histograms.duet_interruption_detection_ms.p99Estimate}`,
    ]),
  );
  const i = r.interruption;
  const b = r.interruptionAtConfirmation;
  if (!i || !b) return;
  const row = (name: string, x: { n: number; p50: number | null; p95: number | null; p99: number | null; max: number | null }) => [name, x.n, x.p50, x.p95, x.p99, x.max];
  printTable(
    `Interruption detection, real VAD on espeak-ng speech (${i.sessions} sessions, ${i.onsets} onsets; tentative: ${i.detected} paused, ${i.extraPauses} extra pauses; at confirmation: ${b.detected} paused, ${b.extraPauses} extra), ms`,
    ['measure', 'n', 'p50', 'p95', 'p99', 'max'],
    [
      row('speech onset -> duet.response.paused (client), tentative pause', i.detectionDelayMs),
      row('speech onset -> duet.response.paused (client), pause at confirmation', b.detectionDelayMs),
      row('  onset -> speech_started (VAD)', b.onsetToSpeechStartedMs),
      row(`  speech_started -> paused (guard ${r.settings.minInterruptSpeechMs} ms)`, b.speechStartedToPausedMs),
      ['duet_interruption_detection_ms (server, est.), tentative', i.serverHistogram.count, i.serverHistogram.p50Estimate, null, i.serverHistogram.p99Estimate, null],
      ['duet_interruption_detection_ms (server, est.), at confirmation', b.serverHistogram.count, b.serverHistogram.p50Estimate, null, b.serverHistogram.p99Estimate, null],
    ],
  );
  const ratio = i.detectionDelayMs.p50 !== null && b.detectionDelayMs.p50 ? round(i.detectionDelayMs.p50 / b.detectionDelayMs.p50) : null;
  console.log(`tentative / at-confirmation p50 ratio: ${ratio}; tentative pauses by outcome: ${JSON.stringify(i.tentativePauses)}`);
  console.log(`server histogram buckets, tentative: ${JSON.stringify(i.serverBuckets)} (mean ${i.serverHistogram.mean} ms)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  await runDuplexBench(quick ? { levelMs: 8000, interruption: { sessions: 4, passes: 1 } } : {});
}

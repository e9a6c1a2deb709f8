// `npm run bench:audio`: the audio front-end's benchmarks.
//  1. Mel throughput and allocation (scripts/bench/mel.ts) and VAD cost (scripts/bench/vad.ts),
//     each in this process on one core, when those modules are present.
//  2. Capacity: N sessions stream real speech at real-time pace through the real WebSocket path
//     into one server process (pinned to core 0; the load generator runs pinned to core 1) and the
//     lag probe (scripts/bench/load/audio-load.ts) gives each session's lag behind real time. The
//     largest N with p99 lag under the target is searched: N=1 first (the baseline every row is
//     compared with), then doubling from `startSessions`, then bisection, all bounded.
// Prints tables; writes bench-results/audio.json. Options: --quick (short trials), --no-front-end.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPACITY_SERVER_CONFIG, type AudioTrialParams, type AudioTrialResult } from './load/audio-load.js';
import { LoadWorker, placement, ServerHandle, type Placement } from './load/processes.js';
import { machineInfo, printRecords, printTable, writeResults } from './load/report.js';
import { ratio, round } from './load/stats.js';

export interface AudioBenchOptions {
  /** Run the Mel and VAD micro-benchmarks first (default true). */
  frontEnd?: boolean;
  trialMs?: number;
  startSessions?: number;
  maxSessions?: number;
  /** Bisection steps after the doubling phase. */
  refineSteps?: number;
  lagTargetMs?: number;
  silenceMs?: number;
  /** Run a failed trial once more and keep the better attempt (default true: neighbours' bursts are not the server's lag). */
  retryFailed?: boolean;
  /** A discarded trial first (4 sessions), so that JIT warm-up is not billed to the baseline; 0: none. */
  warmUpMs?: number;
  /** Write bench-results/audio.json (default true). */
  /** Nice value for the server and load generator (see placement()); null: leave as is. */
  nice?: number | null;
  write?: boolean;
  /** Print tables (default true). */
  print?: boolean;
}

export interface CapacityTrial extends AudioTrialResult {
  pass: boolean;
  /** Server CPU over the trial (connect, stream, drain) as a fraction of one core. */
  serverCpuCores: number;
  /** Server CPU of the trial divided by the streaming time: the load the fit uses. */
  serverCpuCoresStreaming: number;
  /** Server CPU per second of audio per session (ms): what one real-time session costs. */
  serverCpuMsPerSessionSecond: number;
  serverLoopDelayP99Ms: number;
  serverRssMb: number;
  /** VAD frames per Silero inference on the server during the trial (batching across sessions). */
  vadMeanBatch: number | null;
  /** p99 lag / the N=1 baseline's p99 lag. */
  p99VsBaseline: number | null;
  /** A failed trial is run once more and the better attempt kept: p99 lag of every attempt. */
  attemptsP99: (number | null)[];
}

export interface AudioBenchResult {
  machine: Record<string, unknown>;
  placement: Placement;
  mel: unknown;
  vad: unknown;
  capacity: {
    lagTargetMs: number;
    silenceMs: number;
    trialMs: number;
    probe: string;
    baseline: CapacityTrial;
    trials: CapacityTrial[];
    /** Largest N that passed (p99 lag < target, >= 90% of turns seen). */
    sessionsPerCore: number;
    /** True when the search stopped at maxSessions while still passing. */
    cappedAtMax: boolean;
    /**
     * Least-squares fit of server CPU (cores) against N over all trials: fixed cost + marginal cost
     * per session. (1 - fixed) / marginal = sessions one core holds on CPU time alone, a figure
     * that wall-clock noise from other work on the machine does not move.
     */
    cpuFit: { fixedCores: number; msPerSessionSecond: number; sessionsPerCore: number | null } | null;
  };
}

const PROBE =
  'speech_stopped arrival - send time of the 20 ms chunk holding the sample that triggers it ' +
  '(audio_end_ms*16 + silence rounded up to 512-sample VAD frames; VAD hysteresis off so this is exact): ' +
  'queueing + VAD + Mel + delivery, not VAD accuracy';

async function optionalBench(file: string, exportName: string): Promise<unknown> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return { skipped: `${file} not present` };
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') return { skipped: `${file} has no ${exportName}()` };
  return (fn as () => Promise<unknown>)();
}

export async function runAudioBench(options: AudioBenchOptions = {}): Promise<AudioBenchResult> {
  const loadAtStart = loadavg();
  const o = { frontEnd: true, trialMs: 10000, startSessions: 25, maxSessions: 800, refineSteps: 3, lagTargetMs: 50, silenceMs: 500, retryFailed: true, warmUpMs: 3000, nice: null as number | null, write: true, print: true, ...options };
  const mel = o.frontEnd ? await optionalBench('./mel.ts', 'runMelBench') : { skipped: 'not asked' };
  const vad = o.frontEnd ? await optionalBench('./vad.ts', 'runVadBench') : { skipped: 'not asked' };

  const where = placement(o.nice);
  const server = await ServerHandle.start({ config: CAPACITY_SERVER_CONFIG, detector: 'vad' }, where);
  const worker = await LoadWorker.start(where);
  const trials: CapacityTrial[] = [];
  let baselineP99: number | null = null;
  const trial = async (sessions: number): Promise<CapacityTrial> => {
    const first = await attempt(sessions);
    if (first.pass || !o.retryFailed) return keep(first);
    const second = await attempt(sessions);
    const better = second.pass || (second.lagMs.p99 ?? Infinity) < (first.lagMs.p99 ?? Infinity) ? second : first;
    better.attemptsP99 = [first.lagMs.p99, second.lagMs.p99];
    return keep(better);
  };
  const keep = (t: CapacityTrial): CapacityTrial => {
    trials.push(t);
    if (o.print) console.log(`  N=${t.sessions}: p99 lag ${t.lagMs.p99} ms (attempts ${t.attemptsP99.join(', ')}), turns ${t.turns.detected}/${t.turns.expected}, server ${t.serverCpuCores} cores -> ${t.pass ? 'pass' : 'FAIL'}`);
    return t;
  };
  const attempt = async (sessions: number): Promise<CapacityTrial> => {
    const params: AudioTrialParams = { wsUrl: server.wsUrl, sessions, durationMs: o.trialMs, silenceMs: o.silenceMs, gapMs: o.silenceMs + 400, drainMs: 1500 };
    const before = await server.stats();
    const r = await worker.run<AudioTrialResult>('audio-trial', params);
    const after = await server.stats();
    const cpuMs = (after.cpuUs - before.cpuUs) / 1000;
    const wallMs = after.wallMs - before.wallMs;
    const pass = r.lagMs.p99 !== null && r.lagMs.p99 < o.lagTargetMs && r.turns.ratio >= 0.9 && r.probeViolations === 0;
    const t: CapacityTrial = {
      ...r,
      pass,
      serverCpuCores: round(cpuMs / wallMs),
      serverCpuCoresStreaming: round(cpuMs / o.trialMs),
      serverCpuMsPerSessionSecond: round(cpuMs / (sessions * (o.trialMs / 1000))),
      serverLoopDelayP99Ms: round(after.loopDelayP99Ms),
      serverRssMb: round(after.rssMb, 1),
      vadMeanBatch: ratio(after.vadFrames - before.vadFrames, after.vadInferences - before.vadInferences),
      p99VsBaseline: ratio(r.lagMs.p99, baselineP99),
      attemptsP99: [r.lagMs.p99],
    };
    return t;
  };

  let baseline: CapacityTrial;
  let lo = 0;
  let hi: number | null = null;
  try {
    if (o.warmUpMs > 0) await worker.run('audio-trial', { wsUrl: server.wsUrl, sessions: 4, durationMs: o.warmUpMs, silenceMs: o.silenceMs, gapMs: o.silenceMs + 400, drainMs: 500 });
    baseline = await trial(1);
    baselineP99 = baseline.lagMs.p99;
    baseline.p99VsBaseline = 1;
    if (baseline.pass) lo = 1;
    for (let n = Math.max(2, o.startSessions); n <= o.maxSessions; n *= 2) {
      if ((await trial(n)).pass) lo = n;
      else {
        hi = n;
        break;
      }
    }
    for (let step = 0; hi !== null && step < o.refineSteps && hi - lo > Math.max(2, lo * 0.1); step++) {
      const mid = Math.max(lo + 1, Math.round((lo + hi) / 2));
      if ((await trial(mid)).pass) lo = mid;
      else hi = mid;
    }
  } finally {
    await worker.stop();
    await server.stop();
  }
  const result: AudioBenchResult = {
    machine: machineInfo(loadAtStart),
    placement: where,
    mel,
    vad,
    capacity: {
      lagTargetMs: o.lagTargetMs,
      silenceMs: o.silenceMs,
      trialMs: o.trialMs,
      probe: PROBE,
      baseline,
      trials,
      sessionsPerCore: lo,
      cappedAtMax: hi === null && lo > 0,
      cpuFit: fitCpu(trials),
    },
  };
  if (o.print) printAudio(result);
  if (o.write) console.log(`\nwrote ${writeResults('audio', result)}`);
  return result;
}

function fitCpu(trials: CapacityTrial[]): AudioBenchResult['capacity']['cpuFit'] {
  const points = trials.map((t) => [t.sessions, t.serverCpuCoresStreaming] as const);
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (n < 2 || sxx === 0) return null;
  const slope = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  const fixed = my - slope * mx;
  return { fixedCores: round(fixed), msPerSessionSecond: round(slope * 1000), sessionsPerCore: slope > 0 ? Math.floor((1 - Math.max(0, fixed)) / slope) : null };
}

function printAudio(r: AudioBenchResult): void {
  const mel = r.mel as { presets?: { preset: string; streamingXRealTime: number; batchXRealTime: number; usPerFrame: number }[]; library?: { xRealTime: number }; whisperVsLibrary?: number; kaldiVsLibrary?: number; allocation?: { bytesPerHop: number } };
  if (mel.presets && mel.library) {
    printTable(
      'Mel front-end (one core, x real time; library = @huggingface/transformers WhisperFeatureExtractor, same audio, same run)',
      ['preset', 'stream x RT', 'batch x RT', 'us/frame', 'vs library'],
      [
        ...mel.presets.map((p) => [p.preset, p.streamingXRealTime, p.batchXRealTime, p.usPerFrame, p.preset === 'kaldi' ? mel.kaldiVsLibrary : mel.whisperVsLibrary]),
        ['library', mel.library.xRealTime, null, null, 1],
      ],
    );
    if (mel.allocation) console.log(`allocation per hop (steady state): ${mel.allocation.bytesPerHop.toFixed(1)} bytes`);
  } else printRecords('Mel', r.mel);
  printRecords('VAD (scripts/bench/vad.ts)', r.vad);
  const c = r.capacity;
  printTable(
    `Real-time sessions on one server core (${r.placement.pinned ? 'server pinned to core 0, load generator to core 1' : 'NOT pinned: taskset or a second core missing'}); lag probe p99 target < ${c.lagTargetMs} ms`,
    ['sessions', 'lag p50', 'lag p90', 'lag p99', 'lag max', 'p99/base', 'tries', 'turns seen', 'server cores', 'cpu ms/sess-s', 'VAD batch', 'srv loop p99', 'send late p99', 'result'],
    c.trials.map((t) => [
      t.sessions,
      t.lagMs.p50,
      t.lagMs.p90,
      t.lagMs.p99,
      t.lagMs.max,
      t.p99VsBaseline,
      t.attemptsP99.length,
      `${t.turns.detected}/${t.turns.expected}`,
      t.serverCpuCores,
      t.serverCpuMsPerSessionSecond,
      t.vadMeanBatch,
      t.serverLoopDelayP99Ms,
      t.senderLatenessMs.p99,
      t.pass ? 'pass' : 'FAIL',
    ]),
  );
  console.log(
    `\nSessions per core with p99 lag < ${c.lagTargetMs} ms: ${c.sessionsPerCore}${c.cappedAtMax ? ' (search cap reached)' : ''} (target >= 100).` +
      (c.cpuFit ? `\nServer CPU fit: ${c.cpuFit.fixedCores} cores fixed + ${c.cpuFit.msPerSessionSecond} ms per session-second -> ${c.cpuFit.sessionsPerCore ?? '-'} sessions per core on CPU time alone.` : ''),
  );
  console.log(`Probe: ${c.probe}.`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Set(process.argv.slice(2));
  const quick = args.has('--quick');
  await runAudioBench({ frontEnd: !args.has('--no-front-end'), ...(quick ? { trialMs: 5000, refineSteps: 1 } : {}) });
}

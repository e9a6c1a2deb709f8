// `npm run bench:interaction`: FD-Bench / SID-Bench style interaction scenarios streamed in real
// time through the public WebSocket protocol to a Duet server this bench starts (scripted model
// instances, espeak-ng speech output), by simulated clients that play the answer audio at 1x and
// score what the user heard. Three client policies (client.ts) on the same audio, same server.
// Prints a table per policy; writes bench-results/interaction.json.
//   --reps N (default 2)  --concurrency N (sessions at once, default 4)  --monitor-ms 80
//   --first-token-ms 300  --token-ms 20  --scenarios a,b  --policies openai,duet,vad  --seed N
//   --nice N (e.g. -10: server and clients ahead of other work on a busy machine, where permitted)
//   --echo-cancellation on|off (every session asks for it; default: the server's default, on)
//   --server-config JSON (merged over the bench's server config, one level deep per section,
//   e.g. '{"voice":{"confirmedLeadMs":300}}' to compare a setting in the same run)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { placement, ServerHandle } from '../load/processes.js';
import { machineInfo, writeResults } from '../load/report.js';
import { serverConfigFlag } from '../load/server-config-flag.js';
import { SimClient, SPEECH_STARTED_SETTING, type Policy } from './client.js';
import { scoreRep, AUDIBLE_GAP_MS, CUT_RULE, STOP_WITHIN_MS, TAKEOVER_MS, TAKEOVER_WORDS } from './metrics.js';
import { aggregate, formatEarlyStarts, formatRows, type RepRecord, type Row } from './report.js';
import type { RoomPath } from './room.js';
import { SCENARIOS, type Prepared, type Scenario } from './scenarios.js';
import { espeakAvailable, realWords, rng } from './sounds.js';

export interface InteractionOptions {
  reps: number;
  concurrency: number;
  /** Scripted monitor decision time (a model's prefill), ms. */
  monitorMs: number;
  /** Scripted time to first token, ms. */
  firstTokenMs: number;
  /** Scripted time per further token (word), ms. */
  tokenMs: number;
  scenarios: string[] | null;
  policies: Policy[];
  seed: number;
  /** Nice value for the server and this process (null: leave as is); see load/processes.ts placement(). */
  nice: number | null;
  /** Ask every session for duet.echo_cancellation on or off (null: the server's default, on for spoken answers). */
  echoCancellation: boolean | null;
  /** Server config sections merged over the bench's (one level deep). */
  serverConfig: Record<string, Record<string, unknown>>;
  write: boolean;
  print: boolean;
}

export const DEFAULTS: InteractionOptions = { reps: 2, concurrency: 4, monitorMs: 80, firstTokenMs: 300, tokenMs: 20, scenarios: null, policies: ['openai', 'duet', 'vad'], seed: 0, nice: null, echoCancellation: null, serverConfig: {}, write: true, print: true };

/** The scripted monitor's stand-in for a model's judgement (models/scripted/script.ts audioRule). */
export const AUDIO_RULE = { minQueryMs: 600, minLevelDbfs: -30 };

/** Long enough to still be playing when every scenario's event has come and gone. */
const ANSWER =
  'Here is what I know about that. It is a good question, and the answer has a few parts. ' +
  'First, think about where it comes from and why people ask about it so often. ' +
  'Second, there are some numbers that help, although they change from year to year. ' +
  'Third, the history behind it is long and full of surprises that most people never hear about. ' +
  'Finally, if you want to learn more, there are many good books and places to visit.';

export interface InteractionResult {
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  rows: Row[];
  records: RepRecord[];
  modelDependence: string[];
}

const MODEL_DEPENDENCE = [
  `Decided by the model (here a scripted rule standing in for one: <1> when a segment holds >= ${AUDIO_RULE.minQueryMs} ms of 20 ms frames at >= ${AUDIO_RULE.minLevelDbfs} dBFS, else <2>): takeover rates, interruption success, and the false interruptions of the duet client (it is cut only when the monitor says <1>) and of the openai client where the server confirms speech_started by the monitor.`,
  'Response latency adds the model times directly (monitor decision + first token, both scripted and stated in settings): read it as server overhead + those.',
  'Independent of the model (VAD, scheduler, pacing and the client): onset->stop (the pause or the client-side cut comes before any decision), the false interruptions of a client that cuts at an immediate speech_started, audible gaps and repeats.',
];

function seedOf(base: number, scenarioIndex: number, rep: number): number {
  return base * 7919 + (scenarioIndex + 1) * 1000 + rep;
}

interface Job {
  scenario: Scenario;
  policy: Policy;
  rep: number;
  seed: number;
  prepared: Prepared;
  roomPath: RoomPath | null;
}

async function runOne(wsUrl: string, { scenario, policy, rep, seed, prepared, roomPath }: Job, echoCancellation: boolean | null): Promise<RepRecord> {
  let client: SimClient | null = null;
  try {
    client = await SimClient.open(wsUrl, { policy, room: roomPath, seed, ...(echoCancellation === null ? {} : { echoCancellation }) });
    const marks = await scenario.run(client, prepared);
    client.close();
    const metrics = scoreRep(scenario, client, marks);
    const detail = { ...metrics.detail, ...(roomPath ? { room: roomPath } : {}) };
    return { scenario: scenario.name, policy, rep, seed, ...metrics, detail, errors: client.errors, speechStartedSetting: client.speechStartedSetting };
  } catch (err) {
    client?.close();
    return {
      scenario: scenario.name,
      policy,
      rep,
      seed,
      takeover: null,
      falseInterruption: null,
      longestHoleMs: null,
      interruptionSuccess: null,
      onsetToStopMs: null,
      onsetToDuckMs: null,
      duckedMs: null,
      responseLatencyMs: null,
      audibleGaps: null,
      repeats: null,
      detail: {},
      failure: (err as Error).message,
      errors: client?.errors ?? [],
      speechStartedSetting: client?.speechStartedSetting ?? 'unknown',
    };
  }
}

/** Runs jobs `concurrency` at a time, in order. */
async function pool<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

export async function runInteractionBench(options: Partial<InteractionOptions> = {}): Promise<InteractionResult> {
  const o = { ...DEFAULTS, ...options };
  if (!espeakAvailable()) throw new Error('bench:interaction needs espeak-ng (Debian package espeak-ng) for the user speech and the answers');
  const scenarios = o.scenarios ? SCENARIOS.filter((s) => o.scenarios!.includes(s.name)) : SCENARIOS;
  if (scenarios.length === 0) throw new Error(`no scenario among ${o.scenarios?.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const loadAtStart = loadavg();
  const script = { replies: [{ text: ANSWER }], tokenDelayMs: o.tokenMs, firstTokenDelayMs: o.firstTokenMs, decisionDelayMs: o.monitorMs, decisions: ['<1>'], rules: [], audioRule: AUDIO_RULE };
  const dir = mkdtempSync(path.join(tmpdir(), 'duet-interaction-'));
  const scriptPath = path.join(dir, 'script.json');
  writeFileSync(scriptPath, JSON.stringify(script));
  // Server defaults everywhere else (VAD, scheduler, pacing): what a user of this build gets.
  const config: Record<string, Record<string, unknown>> = { models: { chat: { kind: 'scripted', script: scriptPath }, tts: { kind: 'espeak' } } };
  for (const [section, values] of Object.entries(o.serverConfig)) config[section] = { ...config[section], ...values };
  const where = placement(o.nice);
  if (where.nice !== null) setPriority(where.nice);
  const started = performance.now();
  const server = await ServerHandle.start({ config }, where);
  let records: RepRecord[];
  try {
    const jobs: (() => Promise<RepRecord>)[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      scenarios.forEach((scenario) => {
        const seed = seedOf(o.seed, SCENARIOS.indexOf(scenario), rep);
        // Same sounds for every policy: each client hears exactly the same user and room.
        const random = rng(seed);
        const roomPath = scenario.room(random);
        const prepared = scenario.prepare(random);
        for (const policy of o.policies) jobs.push(() => runOne(server.wsUrl, { scenario, policy, rep, seed, prepared, roomPath }, o.echoCancellation));
      });
    }
    if (o.print) console.log(`bench:interaction: ${jobs.length} runs (${scenarios.length} scenarios x ${o.policies.length} policies x ${o.reps} reps), ${o.concurrency} at a time`);
    records = await pool(jobs, o.concurrency);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = aggregate(records, scenarios, o.policies);
  const accepted = Object.fromEntries(o.policies.map((p) => [p, [...new Set(records.filter((r) => r.policy === p).map((r) => r.speechStartedSetting))].join('/')]));
  const result: InteractionResult = {
    machine: { ...machineInfo(loadAtStart), placement: where },
    settings: {
      reps: o.reps,
      concurrency: o.concurrency,
      seed: o.seed,
      wallSeconds: Math.round((performance.now() - started) / 100) / 10,
      scriptedModel: { monitorMs: o.monitorMs, firstTokenMs: o.firstTokenMs, tokenMs: o.tokenMs, audioRule: AUDIO_RULE },
      server: 'defaults (Silero VAD, scheduler, voice.leadMs) with scripted chat and espeak-ng TTS',
      serverConfig: o.serverConfig,
      speechStartedRequested: SPEECH_STARTED_SETTING,
      speechStartedSetting: accepted,
      userSpeech: `espeak-ng${realWords() ? ' and ../shared/audio/alphanumeric real clips' : ' (../shared absent: no real clips)'}`,
      rules: { takeover: `>= ${TAKEOVER_MS} ms or > ${TAKEOVER_WORDS} words heard`, audibleGapMs: AUDIBLE_GAP_MS, cut: CUT_RULE, bargeInStopWithinMs: STOP_WITHIN_MS },
    },
    rows,
    records,
    modelDependence: MODEL_DEPENDENCE,
  };
  if (o.print) printResult(result, scenarios, o.policies);
  if (o.write) console.log(`\nwrote ${writeResults('interaction', result)}`);
  return result;
}

function printResult(r: InteractionResult, scenarios: Scenario[], policies: Policy[]): void {
  const m = r.settings.scriptedModel as { monitorMs: number; firstTokenMs: number; tokenMs: number };
  console.log(`\nScripted model: monitor ${m.monitorMs} ms, first token ${m.firstTokenMs} ms, then ${m.tokenMs} ms a word; server defaults otherwise.`);
  console.log(`session.duet.speech_started requested ${JSON.stringify(r.settings.speechStartedRequested)}; server answer ${JSON.stringify(r.settings.speechStartedSetting)} (rejected: a server without the setting, where openai behaves as vad).`);
  for (const p of policies) console.log(formatRows(p, r.rows, scenarios));
  if (scenarios.some((s) => s.kind === 'pause')) console.log(formatEarlyStarts(r.records, policies));
  console.log('\nscenarios:');
  for (const s of scenarios) console.log(`  ${s.name.padEnd(14)} ${s.about}`);
  const failures = r.records.filter((x) => x.failure);
  if (failures.length) console.log(`\nfailed runs: ${failures.map((f) => `${f.scenario}/${f.policy}#${f.rep}: ${f.failure}`).join('; ')}`);
  console.log('\nWhich numbers depend on the model:');
  for (const line of r.modelDependence) console.log(`  - ${line}`);
  console.log(`\nwall time ${String(r.settings.wallSeconds)} s`);
}

function parseArgs(argv: string[]): Partial<InteractionOptions> {
  const o: Partial<InteractionOptions> = {};
  const num = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a number`);
    return v;
  };
  const list = (flag: string) => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : String(argv[i + 1] ?? '').split(',').filter(Boolean);
  };
  const set = <K extends keyof InteractionOptions>(key: K, value: InteractionOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  set('reps', num('--reps'));
  set('concurrency', num('--concurrency'));
  set('monitorMs', num('--monitor-ms'));
  set('firstTokenMs', num('--first-token-ms'));
  set('tokenMs', num('--token-ms'));
  set('seed', num('--seed'));
  const nice = argv.indexOf('--nice');
  if (nice >= 0) {
    const v = Number(argv[nice + 1]);
    if (!Number.isInteger(v)) throw new Error('--nice needs an integer');
    set('nice', v);
  }
  set('scenarios', list('--scenarios'));
  set('policies', list('--policies') as Policy[] | undefined);
  const echo = argv.indexOf('--echo-cancellation');
  if (echo >= 0) {
    const v = argv[echo + 1];
    if (v !== 'on' && v !== 'off') throw new Error('--echo-cancellation takes on or off');
    set('echoCancellation', v === 'on');
  }
  set('serverConfig', serverConfigFlag(argv));
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runInteractionBench(parseArgs(process.argv.slice(2)));
}

// Per policy and scenario: rates and percentiles over the repetitions, printed as tables.
import { formatTable, type Cell } from '../load/report.js';
import { percentile } from '../load/stats.js';
import type { Policy } from './client.js';
import type { RepMetrics } from './metrics.js';
import type { Scenario } from './scenarios.js';

export interface RepRecord extends RepMetrics {
  scenario: string;
  policy: Policy;
  rep: number;
  seed: number;
  /** The run failed (connect, timeout); its metrics are absent. */
  failure?: string;
  /** Server errors the session received (other than the rejected speech_started setting). */
  errors: string[];
  speechStartedSetting: string;
}

export interface Row {
  scenario: string;
  policy: Policy;
  reps: number;
  takeoverRate: number | null;
  falseInterruptionRate: number | null;
  /** Where the answer should have gone on: the longest hole heard in it (a pause, not a cut). */
  longestHoleMs: { n: number; p50: number | null; p95: number | null };
  interruptionSuccessRate: number | null;
  onsetToStopMs: { n: number; p50: number | null; p95: number | null };
  /** Speech onset -> the answer heard lowered (a duck: confirmed-mode clients). */
  onsetToDuckMs: { n: number; p50: number | null; p95: number | null };
  /** During an answer: ms of it heard lowered. */
  duckedMs: { n: number; p50: number | null; p95: number | null };
  responseLatencyMs: { n: number; p50: number | null; p95: number | null };
  /** Mean per answer. */
  audibleGaps: number | null;
  repeats: number | null;
  failures: number;
  errors: number;
  /** Worst p99 lateness of the simulated microphones (ms): high means the machine could not stream in real time. */
  clientLateP99Ms: number;
}

function rate(values: (boolean | null)[]): number | null {
  const known = values.filter((v): v is boolean => v !== null);
  return known.length ? Math.round((known.filter(Boolean).length / known.length) * 100) / 100 : null;
}

function pct(values: (number | null)[]): Row['onsetToStopMs'] {
  const known = Float64Array.from(values.filter((v): v is number => v !== null)).sort();
  const r = (v: number | null) => (v === null ? null : Math.round(v));
  return { n: known.length, p50: r(percentile(known, 0.5)), p95: r(percentile(known, 0.95)) };
}

function mean(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.round((known.reduce((a, b) => a + b, 0) / known.length) * 100) / 100 : null;
}

export function aggregate(records: RepRecord[], scenarios: Scenario[], policies: Policy[]): Row[] {
  const rows: Row[] = [];
  for (const policy of policies) {
    for (const s of scenarios) {
      const reps = records.filter((r) => r.policy === policy && r.scenario === s.name);
      if (reps.length === 0) continue;
      const ok = reps.filter((r) => !r.failure);
      rows.push({
        scenario: s.name,
        policy,
        reps: reps.length,
        takeoverRate: rate(ok.map((r) => r.takeover)),
        falseInterruptionRate: rate(ok.map((r) => r.falseInterruption)),
        longestHoleMs: pct(ok.map((r) => r.longestHoleMs ?? null)),
        interruptionSuccessRate: rate(ok.map((r) => r.interruptionSuccess)),
        onsetToStopMs: pct(ok.map((r) => r.onsetToStopMs)),
        onsetToDuckMs: pct(ok.map((r) => r.onsetToDuckMs ?? null)),
        duckedMs: pct(ok.map((r) => r.duckedMs ?? null)),
        responseLatencyMs: pct(ok.map((r) => r.responseLatencyMs)),
        audibleGaps: mean(ok.map((r) => r.audibleGaps)),
        repeats: mean(ok.map((r) => r.repeats)),
        failures: reps.length - ok.length,
        errors: ok.reduce((n, r) => n + r.errors.length, 0),
        clientLateP99Ms: Math.max(0, ...ok.map((r) => Number(r.detail.micLateP99Ms ?? 0))),
      });
    }
  }
  return rows;
}

/** What the right behaviour is, per scenario kind: shown next to the takeover column. */
const TAKEOVER_WANTED: Record<Scenario['kind'], string> = { question: 'want 1', pause: 'want 0', during: 'want 0', idle: 'want 0', 'barge-in': '' };

export function formatRows(policy: Policy, rows: Row[], scenarios: Scenario[]): string {
  const pair = (p: { p50: number | null; p95: number | null; n: number }): Cell => (p.n ? `${p.p50} / ${p.p95}` : null);
  const kind = new Map(scenarios.map((s) => [s.name, s.kind]));
  return formatTable(
    `policy ${policy}`,
    ['scenario', 'reps', 'takeover', '', 'false int.', 'hole ms p50/p95', 'int. success', 'onset->stop p50/p95', 'onset->duck p50/p95', 'ducked ms p50/p95', 'latency p50/p95', 'gaps>40ms', 'repeats', 'fail', 'errors', 'mic late p99'],
    rows
      .filter((r) => r.policy === policy)
      .map((r) => [
        r.scenario,
        r.reps,
        r.takeoverRate,
        r.takeoverRate === null ? '' : TAKEOVER_WANTED[kind.get(r.scenario)!],
        r.falseInterruptionRate,
        pair(r.longestHoleMs),
        r.interruptionSuccessRate,
        pair(r.onsetToStopMs),
        pair(r.onsetToDuckMs),
        pair(r.duckedMs),
        pair(r.responseLatencyMs),
        r.audibleGaps,
        r.repeats,
        r.failures,
        r.errors,
        r.clientLateP99Ms,
      ]),
  );
}

/** pause: how often any of an answer to the first half was heard, and how much (below the takeover rule too). */
export function formatEarlyStarts(records: RepRecord[], policies: Policy[]): string {
  const lines = policies.map((policy) => {
    const reps = records.filter((r) => r.policy === policy && r.scenario === 'pause' && !r.failure);
    const heard = reps.map((r) => Number(r.detail.earlyHeardMs ?? 0));
    const started = heard.filter((ms) => ms > 0);
    const meanMs = started.length ? Math.round(started.reduce((a, b) => a + b, 0) / started.length) : 0;
    return `  ${policy}: ${started.length} of ${reps.length}${started.length ? `, ${meanMs} ms heard on average` : ''}`;
  });
  return ['\npause: an answer to the first half started playing (heard at all) in', ...lines].join('\n');
}

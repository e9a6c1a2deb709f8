// Smoke test of the whole-server benchmarks with tiny parameters: each runs end to end (real
// server process, real sockets, load generator process) and returns well-formed numbers.
// No timing is asserted: the machines are noisy; speed is what the benchmarks report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Summary } from '../../scripts/bench/load/stats.js';
import { runAudioBench } from '../../scripts/bench/audio.js';
import { runDuplexBench } from '../../scripts/bench/duplex.js';

function assertWellFormed(s: Summary, label: string, { allowNegative = false } = {}): void {
  assert.ok(s.n > 0, `${label}: no samples`);
  for (const key of ['min', 'p50', 'p90', 'p99', 'max', 'mean'] as const) assert.ok(Number.isFinite(s[key]), `${label}.${key} = ${s[key]}`);
  assert.ok(s.min! <= s.p50! && s.p50! <= s.p90! && s.p90! <= s.p99! && s.p99! <= s.max!, `${label}: percentiles out of order ${JSON.stringify(s)}`);
  if (!allowNegative) assert.ok(s.min! >= 0, `${label}: negative ${s.min}`);
}

test('bench:audio runs a tiny capacity search and measures lag on every detected turn', async () => {
  const r = await runAudioBench({ frontEnd: false, trialMs: 4000, startSessions: 2, maxSessions: 2, refineSteps: 0, retryFailed: false, warmUpMs: 0, write: false, print: false });
  const c = r.capacity;
  assert.equal(c.trials[0]!.sessions, 1, 'the N=1 baseline comes first');
  assert.ok(c.trials.length >= 1 && c.trials.length <= 2);
  for (const t of c.trials) {
    assert.equal(t.probeViolations, 0, 'no speech_stopped may arrive before the audio that triggers it was sent');
    assert.ok(t.turns.expected >= t.sessions, `at least one turn per session was fed (${t.turns.expected})`);
    assert.ok(t.turns.detected >= 1);
    assertWellFormed(t.lagMs, `lag at N=${t.sessions}`);
    assert.equal(t.lagMs.n, t.turns.detected);
    assertWellFormed(t.senderLatenessMs, 'sender lateness');
    assert.ok(t.serverCpuCores > 0 && t.serverCpuMsPerSessionSecond > 0);
    assert.deepEqual(t.errors, {});
  }
  assert.equal(c.baseline.p99VsBaseline, 1);
  if (c.cpuFit) assert.ok(Number.isFinite(c.cpuFit.msPerSessionSecond) && Number.isFinite(c.cpuFit.fixedCores));
  assert.ok(c.sessionsPerCore === 0 || c.trials.some((t) => t.pass && t.sessions === c.sessionsPerCore));
});

test('bench:duplex measures every overhead and the interruption delay at a tiny scale', async () => {
  const r = await runDuplexBench({ levels: [2], modes: ['gate', 'vad'], levelMs: 1500, probesPerCycle: 1, interruption: { sessions: 1, passes: 1 }, write: false, print: false });
  assert.equal(r.overhead.length, 2);
  for (const level of r.overhead) {
    const label = `${level.mode} x${level.sessions}`;
    assert.ok(level.cycles >= 1, `${label}: no complete cycle`);
    assertWellFormed(level.baselineRttMs, `${label} baseline`);
    assertWellFormed(level.createRttMs, `${label} create`);
    assertWellFormed(level.createInterruptRttMs, `${label} <3> create`);
    // Overheads are differences of two noisy times and may dip below zero.
    for (const key of ['createOverheadMs', 'createInterruptOverheadMs', 'onsetToPausedOverheadMs', 'segmentToDecisionOverheadMs'] as const) {
      assertWellFormed(level[key], `${label} ${key}`, { allowNegative: true });
    }
    assertWellFormed(level.monitorElapsedMs, `${label} monitor elapsed`);
    assert.ok(Number.isFinite(level.worstOverheadP99Ms));
    // The server saw what the client saw: one pause and one decision per spoken turn at least.
    assert.ok(level.histograms.duet_interruption_detection_ms.count >= level.onsetToPausedOverheadMs.n);
    assert.ok(level.histograms.duet_monitor_decision_ms.count >= level.segmentToDecisionOverheadMs.n);
    assert.deepEqual(level.errors, {});
  }
  const i = r.interruption!;
  assert.equal(i.onsets, 4, 'two layouts, two turns each');
  assert.ok(i.detected >= 1, 'at least one onset paused the answer');
  assertWellFormed(i.detectionDelayMs, 'detection delay');
  // Every first pause of an onset is in the server histogram; a pause again after an early resume is not a new detection.
  assert.ok(i.serverHistogram.count >= i.detected && i.serverHistogram.count <= i.detected + i.extraPauses, `server ${i.serverHistogram.count}, client ${i.detected} + ${i.extraPauses} extra`);
});

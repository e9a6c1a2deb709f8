// Where the end-of-turn model runs (part of `npm run bench:end-of-turn`): onnxruntime-node runs a
// session synchronously on the calling thread, so on the server thread each call stalls every
// session for its whole length. A stand-in with a real model's cost (costlyStandIn: the Smart Turn
// layout, 2 MLP blocks over 800 frames, about 38 ms a call on this CPU; the publishers give 10-65
// ms for Smart Turn v3) is called by N simulated sessions at random pauses (Poisson, one pause
// every 2 s each) for a fixed time, on the server thread (the baseline) and in its inference
// worker, in the same run. Measured: the event loop's delay (what every session's audio waits),
// and each call's latency from the pause to the probability (the wait for a stalled thread to
// notice the pause, and for other sessions' calls, included).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SmartTurnModel } from '../../models/embedded/turn/smart-turn.js';
import { WorkerSmartTurnModel } from '../../models/embedded/turn/worker-smart-turn.js';
import type { EndOfTurnModel, MelFeatures } from '../../models/types.js';
import { costlyStandIn } from '../fixtures/make_smart_turn_fixture.js';
import { seededRandom } from './load/seeded-random.js';
import { percentile } from './load/stats.js';

export interface ThreadRow {
  thread: 'server (baseline)' | 'worker';
  sessions: number;
  calls: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  callP50Ms: number;
  callP95Ms: number;
}

const PAUSE_EVERY_MS = 2000;

async function drive(model: EndOfTurnModel, thread: ThreadRow['thread'], sessions: number, durationMs: number): Promise<ThreadRow> {
  const random = seededRandom(sessions);
  const mel: MelFeatures = { preset: 'whisper', frames: 400, bins: 80, data: new Float32Array(400 * 80).map(() => random() * 2 - 1) };
  await model.predict(mel); // warm
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const end = performance.now() + durationMs;
  delay.enable();
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      for (;;) {
        const waitMs = -Math.log(1 - random()) * PAUSE_EVERY_MS;
        const pauseAt = performance.now() + waitMs;
        if (pauseAt > end) return;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        await model.predict(mel);
        // From when the pause happened: a stalled thread also delays hearing of it.
        latencies.push(performance.now() - pauseAt);
      }
    }),
  );
  delay.disable();
  latencies.sort((a, b) => a - b);
  return {
    thread,
    sessions,
    calls: latencies.length,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    loopDelayMaxMs: delay.max / 1e6,
    callP50Ms: percentile(latencies, 0.5) ?? NaN,
    callP95Ms: percentile(latencies, 0.95) ?? NaN,
  };
}

/** Both placements for each session count, the server thread first. */
export async function runEndOfTurnThreadBench(sessionCounts: number[], durationMs: number): Promise<{ perCallMs: number; rows: ThreadRow[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'duet-eot-'));
  const file = path.join(dir, 'costly-smart-turn.onnx');
  writeFileSync(file, costlyStandIn(2));
  const here = await SmartTurnModel.load({ path: file });
  const there = await WorkerSmartTurnModel.load({ path: file });
  try {
    const probe: MelFeatures = { preset: 'whisper', frames: 400, bins: 80, data: new Float32Array(400 * 80) };
    await here.predict(probe);
    const single: number[] = [];
    for (let i = 0; i < 5; i++) single.push((await here.predict(probe)).elapsedMs);
    const rows: ThreadRow[] = [];
    for (const sessions of sessionCounts) {
      rows.push(await drive(here, 'server (baseline)', sessions, durationMs));
      rows.push(await drive(there, 'worker', sessions, durationMs));
    }
    return { perCallMs: single.sort((a, b) => a - b)[2]!, rows };
  } finally {
    await here.close();
    await there.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The benchmarks' own arithmetic: percentiles, histogram reading, result files.
import { test } from 'node:test';
import { coresBusy, parseCpuList, readCoreTimes } from '../../scripts/bench/load/core-busy.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pairedDifferences, percentile, summarize } from '../../scripts/bench/load/stats.js';
import { bucketCounts, readHistogram } from '../../scripts/bench/load/prometheus.js';
import { formatTable, writeResults } from '../../scripts/bench/load/report.js';
import { ChunkQueue } from '../../scripts/bench/load/chunk-queue.js';
import { CHUNK_SAMPLES, toChunks } from '../../scripts/bench/load/speech-audio.js';
import { serverNodeFlags } from '../../scripts/bench/server-command.js';

test('nearest-rank percentiles and summaries', () => {
  const values = Array.from({ length: 100 }, (_v, i) => 100 - i); // 100..1, unsorted
  const s = summarize(values);
  assert.deepEqual({ n: s.n, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max, min: s.min, mean: s.mean }, { n: 100, p50: 50, p90: 90, p99: 99, max: 100, min: 1, mean: 50.5 });
  assert.equal(percentile([], 0.5), null);
  assert.equal(summarize([]).p99, null);
  assert.deepEqual(pairedDifferences([5, 7, 9], [1, 2]), [4, 5]);
});

const METRICS = `# HELP duet_stop_delay_ms x
# TYPE duet_stop_delay_ms histogram
duet_stop_delay_ms_bucket{le="1"} 2
duet_stop_delay_ms_bucket{le="2"} 6
duet_stop_delay_ms_bucket{le="5"} 10
duet_stop_delay_ms_bucket{le="+Inf"} 10
duet_stop_delay_ms_sum 21
duet_stop_delay_ms_count 10
duet_other_bucket{le="1"} 99
`;

test('reads a Prometheus histogram and interpolates quantiles inside buckets', () => {
  const h = readHistogram(METRICS, 'duet_stop_delay_ms');
  assert.equal(h.count, 10);
  assert.equal(h.mean, 2.1);
  assert.equal(h.buckets.length, 4);
  assert.equal(h.p50Estimate, 1.75); // rank 5: 3 of the 4 observations in (1, 2]
  assert.equal(h.p99Estimate, 4.925); // rank 9.9: 3.9 of 4 in (2, 5]
  assert.deepEqual(bucketCounts(h), { '(0,1]': 2, '(1,2]': 4, '(2,5]': 4 });
  assert.equal(readHistogram(METRICS, 'duet_missing_ms').p50Estimate, null);
});

test('results go to <dir>/<name>.json and the folder ignores itself', () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'duet-bench-')), 'bench-results');
  try {
    const file = writeResults('demo', { a: 1 }, dir);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { a: 1 });
    assert.equal(readFileSync(path.join(dir, '.gitignore'), 'utf8'), '*\n');
  } finally {
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
  assert.equal(existsSync(dir), false);
  const table = formatTable('t', ['name', 'value'], [['a', 1.5], ['bb', null]]);
  assert.match(table, /^a\s+1\.50$/m);
  assert.match(table, /^bb\s+-$/m);
});

test('a microphone queue reports where queued audio lands in the stream and pads with noise floor', () => {
  const q = new ChunkQueue();
  const floor = q.next();
  assert.equal(floor.length, CHUNK_SAMPLES * 2);
  q.next();
  const speech = toChunks(new Int16Array(CHUNK_SAMPLES * 2 + 5).fill(1000));
  assert.equal(speech.length, 3); // padded to whole chunks
  assert.equal(q.enqueue(speech), 2);
  assert.equal(q.next(), speech[0]);
  assert.equal(q.enqueue(speech), 5); // after the two still queued
  assert.equal(q.pending, 5);
});

test('benchmarks start the server with the node flags of npm start, and the image runs the same command', () => {
  const flags = serverNodeFlags();
  assert.ok(flags.includes('--no-concurrent-marking'), `npm start flags: ${flags.join(' ')}`);
  assert.ok(flags.includes('--initial-old-space-size=128'), `npm start flags: ${flags.join(' ')}`);
  const cmd = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8').match(/^CMD (\[.*\])$/m);
  assert.ok(cmd, 'Dockerfile has an exec-form CMD');
  assert.deepEqual(JSON.parse(cmd[1]!), ['node', ...flags, '--import', 'tsx', 'server/main.ts']);
});

test('core busy: CPU lists and the busy share of pinned cores between two readings', () => {
  assert.deepEqual([...parseCpuList('0,2-4')], [0, 2, 3, 4]);
  assert.equal(coresBusy({ busy: 100, total: 400 }, { busy: 250, total: 600 }, 2), 1.5);
  assert.equal(coresBusy(null, { busy: 1, total: 2 }, 1), null);
  const now = readCoreTimes('0');
  if (now) assert.ok(now.busy >= 0 && now.total >= now.busy);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { TallyCounter } from '../../server/tally-counter.js';

test('tally counter: increments reach Prometheus at each read, once, per label value', async () => {
  const registry = new Registry();
  const tally = new TallyCounter({ name: 'test_events_total', help: 'Test.', label: 'type', registry });
  tally.inc('a');
  tally.inc('a');
  tally.inc('b');
  const first = await registry.metrics();
  assert.match(first, /test_events_total\{type="a"\} 2/);
  assert.match(first, /test_events_total\{type="b"\} 1/);
  // A second scrape must not add the same tallies again.
  assert.match(await registry.metrics(), /test_events_total\{type="a"\} 2/);
  tally.inc('a');
  const values = (await tally.counter.get()).values;
  assert.deepEqual(values.map((v) => [v.labels.type, v.value]).sort(), [['a', 3], ['b', 1]]);
});

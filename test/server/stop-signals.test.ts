import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { installStopSignals } from '../../server/stop-signals.js';

function harness() {
  const target = new EventEmitter();
  let clock = 0;
  const drains: string[] = [];
  const exits: number[] = [];
  let finish: () => void = () => {};
  installStopSignals(
    {
      drain: (signal) => {
        drains.push(signal);
        return new Promise<void>((resolve) => (finish = resolve));
      },
      exit: (code) => exits.push(code),
      log: { info: () => {}, error: () => {} },
      hardDeadlineMs: 60_000,
      duplicateWindowMs: 1000,
      now: () => clock,
    },
    target,
  );
  return { target, drains, exits, finish: () => finish(), advance: (ms: number) => (clock += ms) };
}

test('a signal delivered twice (process group + npm forwarding) drains once and does not force an exit', async () => {
  const h = harness();
  h.target.emit('SIGTERM', 'SIGTERM');
  h.target.emit('SIGTERM', 'SIGTERM');
  h.advance(5000);
  h.target.emit('SIGTERM', 'SIGTERM'); // a later SIGTERM is still the same request
  h.target.emit('SIGINT', 'SIGINT'); // 5 s later: an impatient second Ctrl-C
  assert.deepEqual(h.drains, ['SIGTERM']);
  assert.deepEqual(h.exits, [1], 'a late second interrupt stops at once');
});

test('Ctrl-C under npm (two SIGINTs at once) drains, and the process exits 0 when the drain ends', async () => {
  const h = harness();
  h.target.emit('SIGINT', 'SIGINT');
  h.advance(3);
  h.target.emit('SIGINT', 'SIGINT');
  assert.deepEqual(h.drains, ['SIGINT']);
  assert.deepEqual(h.exits, []);
  h.finish();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.exits, [0]);
});

// server.workers: `npm start`'s entry with two worker processes on one port. Sessions land in both
// workers, limits.maxSessions holds for the whole server, /metrics is every worker's metrics
// summed, and SIGTERM drains the sessions of every worker before the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { TestClient } from '../support/client.js';
import { spawnServer } from '../support/server-process.js';


/** Node processes the primary forked (tsx's esbuild service is a child too, but not node). */
function workerPids(pid: number | undefined): string[] {
  const ps = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=,comm='], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => /\bnode$/.test(l.trim())).map((l) => l.trim().split(/\s+/)[0]!);
}

/** GET on a new connection each time (fetch keeps one alive: every request would reach the same worker). */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

test('two workers on one port: global maxSessions, aggregated /metrics, drain closes the sessions of every worker', async () => {
  // LOG_LEVEL info: each worker prints fastify's "Server listening" once it serves. Waiting on the
  // processes alone let a slow second worker (a loaded CI machine) miss every session.
  const server = spawnServer({ DUET__server__workers: '2', DUET__limits__maxSessions: '3', DUET__server__shutdownDeadlineMs: '3000', LOG_LEVEL: 'info' });
  const { child, port, exited } = server;
  const url = `ws://127.0.0.1:${port}/v1/realtime`;
  const clients: TestClient[] = [];
  try {
    await server.waitForOutput(/Server listening/, 2);
    assert.equal(workerPids(child.pid).length, 2, `two worker processes: ${server.output()}`);

    for (let i = 0; i < 3; i++) {
      const c = await TestClient.connect(url);
      await c.waitFor('session.created');
      clients.push(c);
    }
    // maxSessions counts the whole server: each worker alone holds fewer than 3.
    const extra = await TestClient.connect(url);
    const refused = await extra.waitFor('error');
    assert.equal((refused.error as { code: string }).code, 'server_busy');
    assert.match(String((refused.error as { message: string }).message), /limit of 3 sessions/);

    // /readyz is per worker (its own sessions): the three are spread over both.
    const local = new Set<number>();
    for (let i = 0; i < 6; i++) local.add((JSON.parse((await get(port, '/readyz')).body) as { sessions: { active: number } }).sessions.active);
    assert.ok([...local].every((n) => n < 3) && local.size === 2, `sessions per worker seen: ${[...local]}`);

    // /metrics is aggregated, whichever worker answers.
    for (let i = 0; i < 4; i++) {
      const text = (await get(port, '/metrics')).body;
      assert.equal(gauge(text, 'duet_active_sessions'), 3);
      assert.equal(gauge(text, 'duet_sessions_rejected_total{reason="busy"}'), 1);
    }

    // A session that ends frees its slot for the whole server.
    const leaving = clients.pop()!;
    leaving.close();
    await leaving.waitClosed();
    let again: TestClient | null = null;
    for (let i = 0; i < 50 && !again; i++) {
      const c = await TestClient.connect(url);
      const first = await Promise.race([c.waitFor('session.created').then(() => 'ok'), c.waitFor('error').then(() => 'busy')]);
      if (first === 'ok') again = c;
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(again, 'a slot was freed');
    clients.push(again);

    child.kill('SIGTERM');
    for (const c of clients) {
      const closing = await c.waitFor('duet.session.closing');
      assert.equal(closing.reason, 'server_shutdown');
    }
    for (const c of clients) assert.equal((await c.waitClosed()).code, 1001);
    assert.equal(await exited, 0, server.output());
  } finally {
    child.kill('SIGKILL');
    for (const c of clients) c.close();
  }
});

test('SIGTERM while the workers are still starting: those not yet serving are stopped, and the server exits 0', async () => {
  // First the drain message reached a worker before it listened for messages and was lost: it served
  // on, and the primary gave up at its deadline with exit code 1. Then the workers were let start so
  // they could drain, and a loaded machine took longer than the deadline. A worker that has not
  // listened holds no session: the primary stops it, and none of them ever serves.
  const server = spawnServer({ DUET__server__workers: '2', DUET__server__shutdownDeadlineMs: '3000', LOG_LEVEL: 'info' });
  const { child, exited } = server;
  try {
    await server.waitForOutput(/cluster primary started/);
    assert.ok(!server.output().includes('Server listening'), 'no worker listens yet');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, server.output());
    assert.match(server.output(), /every worker drained/);
    assert.equal(server.output().match(/stopping a worker that never served/g)?.length, 2, server.output());
    assert.ok(!server.output().includes('Server listening'), `no worker served: ${server.output()}`);
  } finally {
    child.kill('SIGKILL');
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../support/client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type Target = 'npm' | 'group' | 'node';

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter((p) => p > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/**
 * `npm start` exactly as a user or a process manager runs it (own process group), one session
 * open, then SIGTERM to `target`. The session must be told, closed with 1001, npm must exit 0,
 * and the node server must be gone (no orphan).
 */
async function stopNpmStart(target: Target): Promise<void> {
  const port = await freePort();
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true, // its own process group, as under a shell or a supervisor
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DUET__models__chat: 'null', // model-free: nothing to load or download
      DUET__models__tts: 'null',
      DUET__server__shutdownDeadlineMs: '3000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
  let nodePid = 0;
  try {
    const url = `ws://127.0.0.1:${port}/v1/realtime`;
    let client: TestClient | null = null;
    for (let i = 0; i < 300 && !client && npm.exitCode === null; i++) {
      client = await TestClient.connect(url).catch(() => null);
      if (!client) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(client, `server did not start: ${output}`);
    await client.waitFor('session.created');
    // npm start execs node: the server (with server.workers > 1, the cluster primary) is npm's child,
    // and its workers are the server's children.
    nodePid = childrenOf(npm.pid!)[0] ?? 0;
    assert.ok(nodePid > 0 && nodePid !== npm.pid, `node server pid: ${output}`);
    const workers = childrenOf(nodePid);

    if (target === 'npm') process.kill(npm.pid!, 'SIGTERM');
    else if (target === 'group') process.kill(-npm.pid!, 'SIGTERM');
    else process.kill(nodePid, 'SIGTERM');

    const closing = await client.waitFor('duet.session.closing');
    assert.equal(closing.reason, 'server_shutdown');
    assert.equal((await client.waitClosed()).code, 1001);
    const { code, signal } = await exited;
    assert.equal(signal, null, output);
    assert.equal(code, 0, output);
    assert.equal(alive(nodePid), false, 'the node server exited with npm (no orphan)');
    assert.deepEqual(workers.filter(alive), [], 'and every worker with it');
    assert.match(output, /shutting down/);
    assert.deepEqual(client.violations, []);
  } finally {
    try {
      process.kill(-npm.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    if (nodePid > 0 && alive(nodePid)) process.kill(nodePid, 'SIGKILL');
  }
}

for (const target of ['npm', 'group', 'node'] as const) {
  test(`npm start: SIGTERM to the ${target === 'group' ? 'process group' : `${target} process`} drains the session and exits, leaving no orphan`, () => stopNpmStart(target));
}

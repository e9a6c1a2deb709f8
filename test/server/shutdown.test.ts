import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '../support/client.js';
import { spawnServer } from '../support/server-process.js';

test('SIGTERM: live sessions get duet.session.closing, their turn finishes, sockets close 1001, the process exits 0', async () => {
  // The turn must outlast the checks made while draining (readyz, a refused session). At 40 ms a word it
  // ended 1.4 s after its first word, and on a loaded CI machine the server was gone before the refused
  // session's upgrade was answered (read ECONNRESET). At 150 ms a word it lasts 5.4 s; the deadline is far past it.
  const { child, port, wsUrl: url, output: printed, exited } = spawnServer({
    DUET__server__shutdownDeadlineMs: '30000',
    DUET__models__chat: JSON.stringify({ kind: 'scripted', script: 'test/fixtures/scripts/slow-answer.json' }),
  });
  try {
    let client: TestClient | null = null;
    for (let i = 0; i < 600 && !client; i++) { // up to 60 s: start-up is far slower on a loaded CI machine
      client = await TestClient.connect(url).catch(() => null);
      if (!client) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(client, `server did not start: ${printed()}`);
    await client.waitFor('session.created');
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'talk' }] } });
    client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    await client.waitFor('response.output_text.delta');
    child.kill('SIGTERM');
    const closing = await client.waitFor('duet.session.closing');
    assert.equal(closing.reason, 'server_shutdown');
    // Draining: not ready, new sessions refused, while the live one finishes its turn.
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 503);
    const late = await TestClient.connect(url);
    const refused = await late.waitFor('error');
    assert.equal((refused.error as { code: string }).code, 'server_busy');
    const done = await client.waitFor('response.done', () => true, 30_000);
    assert.equal((done.response as { status: string }).status, 'completed', 'the current turn finished within the deadline');
    assert.equal((await client.waitClosed()).code, 1001);
    assert.equal(await exited, 0, printed());
    assert.deepEqual(client.violations, []);
  } finally {
    child.kill('SIGKILL');
  }
});

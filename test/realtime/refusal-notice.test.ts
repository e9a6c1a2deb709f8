import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RefusalNotice } from '../../server/realtime/refusal-notice.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('RefusalNotice: the first refusal is told at once, the rest of its window in one message at its end', async () => {
  const told: string[] = [];
  const notice = new RefusalNotice({ send: (m) => told.push(m), windowMs: 50 });
  try {
    notice.refuse('event dropped (1)');
    assert.deepEqual(told, ['event dropped (1)']);
    for (let i = 2; i <= 1000; i++) notice.refuse(`event dropped (${i})`);
    assert.equal(told.length, 1, 'nothing more told inside the window');
    assert.equal(notice.pending, 999);
    await sleep(80);
    assert.equal(told.length, 2);
    assert.equal(told[1], '999 more messages dropped in the last 50 ms; the latest: event dropped (1000)');
    assert.equal(notice.pending, 0);
    // Still inside the window the summary opened: counted, told at its end.
    notice.refuse('again');
    assert.equal(told.length, 2);
    await sleep(80);
    assert.equal(told[2], '1 more message dropped in the last 50 ms; the latest: again');
    // A quiet window passes: the next refusal is told at once again.
    await sleep(80);
    notice.refuse('later');
    assert.equal(told.at(-1), 'later');
    assert.equal(told.length, 4);
  } finally {
    notice.close();
  }
});

test('RefusalNotice: closed, it tells nothing more', async () => {
  const told: string[] = [];
  const notice = new RefusalNotice({ send: (m) => told.push(m), windowMs: 20 });
  notice.refuse('first');
  notice.refuse('second');
  notice.close();
  await sleep(50);
  assert.deepEqual(told, ['first']);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ChunkReader } from '../../models/remote/chunk-reader.js';

async function drain(reader: ChunkReader<string>): Promise<string[]> {
  const out: string[] = [];
  let chunk: string | null;
  while ((chunk = await reader.next()) !== null) out.push(chunk);
  return out;
}

test('chunk reader: chunks in order, whether queued before the read or written while it waits; null at the end', async () => {
  const stream = new PassThrough({ encoding: 'utf8' });
  const reader = new ChunkReader<string>(stream);
  stream.write('a');
  stream.write('b');
  await new Promise((r) => setImmediate(r));
  const reading = drain(reader);
  setTimeout(() => {
    stream.write('c');
    stream.end('d');
  }, 5);
  assert.deepEqual(await reading, ['a', 'b', 'c', 'd']);
  assert.equal(await reader.next(), null, 'stays at the end');
});

test('chunk reader: the chunks that came before an error are read first, then the error is thrown', async () => {
  const stream = new PassThrough({ encoding: 'utf8' });
  const reader = new ChunkReader<string>(stream);
  stream.write('x');
  await new Promise((r) => setImmediate(r));
  stream.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  assert.equal(await reader.next(), 'x');
  await assert.rejects(async () => reader.next(), { code: 'ECONNRESET' });
});

test('chunk reader: a stream destroyed without an error while the reader waits is a premature close', async () => {
  const stream = new PassThrough({ encoding: 'utf8' });
  const reader = new ChunkReader<string>(stream);
  const waiting = reader.next();
  stream.destroy();
  await assert.rejects(async () => waiting, { code: 'ERR_STREAM_PREMATURE_CLOSE' });
});

test('chunk reader: a reader that falls behind pauses the stream, and reading resumes it without loss', async () => {
  const stream = new PassThrough({ encoding: 'utf8' });
  const reader = new ChunkReader<string>(stream);
  const sent = Array.from({ length: 200 }, (_, i) => `c${i}`);
  for (const chunk of sent) stream.write(chunk);
  stream.end();
  await new Promise((r) => setImmediate(r));
  assert.equal(stream.isPaused(), true, 'paused at 64 queued chunks');
  assert.deepEqual(await drain(reader), sent);
});

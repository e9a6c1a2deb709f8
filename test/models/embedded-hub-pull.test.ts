import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { pullModel } from '../../models/hub/pull.js';
import { HubError } from '../../models/hub/hub-api.js';
import { resolveModelRef } from '../../models/hub/resolve.js';

const REPO = 'onnx-community/tiny-test';

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 255;
  return b;
}

const FILES: Record<string, { data: Buffer; lfs: boolean }> = {
  'config.json': { data: Buffer.from('{"model_type":"qwen2"}'), lfs: false },
  'tokenizer.json': { data: Buffer.from('{"model":{}}'), lfs: false },
  'README.md': { data: Buffer.from('# not needed'), lfs: false },
  'onnx/model.onnx': { data: bytes(5000, 1), lfs: true },
  'onnx/model_quantized.onnx': { data: bytes(3000, 2), lfs: true },
  'onnx/model_quantized.onnx_data': { data: bytes(70000, 3), lfs: true },
  'onnx/model_fp16.onnx': { data: bytes(4000, 4), lfs: true },
};

function gitOid(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

interface HubBehaviour {
  treeMissing?: boolean;
  ignoreRange?: boolean;
  /** Serve this many bytes of the given file, then drop the connection. */
  cutAfter?: { path: string; bytes: number };
  corrupt?: string;
}

interface FakeHub {
  endpoint: string;
  requests: { url: string; range?: string }[];
  behaviour: HubBehaviour;
  close(): Promise<void>;
}

/** The hub's API as huggingface_hub and transformers.js read it: tree listing (paged), model info with blobs, resolve with a CDN redirect and Range. */
async function fakeHub(): Promise<FakeHub> {
  const requests: FakeHub['requests'] = [];
  const behaviour: HubBehaviour = {};
  const entries = Object.entries(FILES).map(([path, f]) =>
    f.lfs
      ? { type: 'file', oid: gitOid(Buffer.from(`pointer ${path}`)), size: f.data.length, path, lfs: { oid: createHash('sha256').update(f.data).digest('hex'), size: f.data.length, pointerSize: 134 } }
      : { type: 'file', oid: gitOid(f.data), size: f.data.length, path },
  );
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    requests.push({ url: url.pathname + url.search, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === `/api/models/${REPO}/tree/main`) {
      if (behaviour.treeMissing) return json(404, { error: 'Not Found' });
      const page = url.searchParams.get('cursor') === '2' ? entries.slice(4) : [{ type: 'directory', oid: '0', size: 0, path: 'onnx' }, ...entries.slice(0, 4)];
      const next: Record<string, string> = url.searchParams.get('cursor') === '2' ? {} : { link: `<${url.pathname}?recursive=true&cursor=2>; rel="next"` };
      return json(200, page, next);
    }
    if (url.pathname === `/api/models/${REPO}/revision/main` && url.searchParams.get('blobs') === 'true') {
      const siblings = Object.entries(FILES).map(([rfilename, f]) =>
        f.lfs
          ? { rfilename, size: f.data.length, blobId: 'b'.repeat(40), lfs: { sha256: createHash('sha256').update(f.data).digest('hex'), size: f.data.length, pointerSize: 134 } }
          : { rfilename, size: f.data.length, blobId: gitOid(f.data) },
      );
      return json(200, { id: REPO, sha: 'c'.repeat(40), siblings });
    }
    const resolve = `/${REPO}/resolve/main/`;
    if (url.pathname.startsWith(resolve)) {
      res.writeHead(302, { location: `/cdn/${url.pathname.slice(resolve.length)}` });
      return res.end();
    }
    if (url.pathname.startsWith('/cdn/')) {
      const path = decodeURIComponent(url.pathname.slice('/cdn/'.length));
      const file = FILES[path];
      if (!file) return json(404, { error: 'Entry not found' });
      let data = file.data;
      if (behaviour.corrupt === path) data = Buffer.concat([data.subarray(0, -1), Buffer.from([data.at(-1)! ^ 1])]);
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m && !behaviour.ignoreRange) {
        const start = Number(m[1]);
        if (start >= data.length) {
          res.writeHead(416);
          return res.end();
        }
        res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
        return res.end(data.subarray(start));
      }
      if (behaviour.cutAfter?.path === path) {
        res.writeHead(200, { 'content-length': data.length });
        res.write(data.subarray(0, behaviour.cutAfter.bytes));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.writeHead(200, { 'content-length': data.length });
      return res.end(data);
    }
    json(404, { error: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    behaviour,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function options(hub: FakeHub, cacheDir: string, dtype = 'q8') {
  return { repoId: REPO, revision: 'main', cacheDir, dtype, endpoint: hub.endpoint, timeoutMs: 3000, stallTimeoutMs: 3000 };
}

test('pulls the files of one dtype into <cacheDir>/<owner>/<name>, verified, where the config resolves the id', async () => {
  const hub = await fakeHub();
  const cache = mkdtempSync(join(tmpdir(), 'duet-pull-'));
  try {
    const report = await pullModel(options(hub, cache));
    assert.deepEqual(report.files.map((f) => f.path).sort(), ['config.json', 'onnx/model_quantized.onnx', 'onnx/model_quantized.onnx_data', 'tokenizer.json']);
    assert.ok(report.files.every((f) => f.result === 'downloaded'));
    for (const f of report.files) assert.deepEqual(readFileSync(join(report.dir, f.path)), FILES[f.path]!.data);
    assert.ok(hub.requests.some((r) => r.url.includes('cursor=2')), 'the second page of the listing was read');
    const resolved = resolveModelRef(REPO, cache);
    assert.equal(resolved.source, 'hub-cache');
    assert.equal(resolved.exists, true);
    assert.equal(resolved.dir, report.dir);
    // A second pull finds everything present and verified: no file is fetched again.
    const before = hub.requests.length;
    const again = await pullModel(options(hub, cache));
    assert.ok(again.files.every((f) => f.result === 'present'));
    assert.ok(hub.requests.slice(before).every((r) => r.url.startsWith('/api/')));
  } finally {
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test('an interrupted download resumes with a Range request from the partial file', async () => {
  const hub = await fakeHub();
  const cache = mkdtempSync(join(tmpdir(), 'duet-pull-'));
  try {
    hub.behaviour.cutAfter = { path: 'onnx/model_quantized.onnx_data', bytes: 25000 };
    await assert.rejects(pullModel(options(hub, cache)));
    const part = join(cache, REPO, 'onnx/model_quantized.onnx_data.part');
    assert.ok(existsSync(part), 'the partial file is kept');
    const kept = readFileSync(part).length;
    assert.ok(kept > 0 && kept < 70000);
    hub.behaviour.cutAfter = undefined;
    const report = await pullModel(options(hub, cache));
    const data = report.files.find((f) => f.path === 'onnx/model_quantized.onnx_data')!;
    assert.equal(data.result, 'resumed');
    assert.ok(hub.requests.some((r) => r.range === `bytes=${kept}-`));
    assert.deepEqual(readFileSync(join(report.dir, data.path)), FILES[data.path]!.data);
    assert.ok(!existsSync(part));
  } finally {
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test('content that does not match the listed hash is rejected and the partial file removed', async () => {
  const hub = await fakeHub();
  const cache = mkdtempSync(join(tmpdir(), 'duet-pull-'));
  try {
    hub.behaviour.corrupt = 'onnx/model_quantized.onnx';
    await assert.rejects(pullModel(options(hub, cache)), /does not match the hub's sha256/);
    assert.ok(!existsSync(join(cache, REPO, 'onnx/model_quantized.onnx')));
    assert.ok(!existsSync(join(cache, REPO, 'onnx/model_quantized.onnx.part')));
    // A regular (non-LFS) file is checked against its git blob hash.
    hub.behaviour.corrupt = 'config.json';
    rmSync(join(cache, REPO, 'config.json'));
    await assert.rejects(pullModel(options(hub, cache)), /does not match the hub's git hash/);
  } finally {
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test('a server that ignores Range restarts the file; the model-info listing is the fallback', async () => {
  const hub = await fakeHub();
  const cache = mkdtempSync(join(tmpdir(), 'duet-pull-'));
  try {
    hub.behaviour.treeMissing = true;
    hub.behaviour.ignoreRange = true;
    const dir = join(cache, REPO, 'onnx');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model_fp16.onnx.part'), FILES['onnx/model_fp16.onnx']!.data.subarray(0, 1000));
    const report = await pullModel(options(hub, cache, 'fp16'));
    assert.deepEqual(report.files.map((f) => f.path).sort(), ['config.json', 'onnx/model_fp16.onnx', 'tokenizer.json']);
    assert.deepEqual(readFileSync(join(dir, 'model_fp16.onnx')), FILES['onnx/model_fp16.onnx']!.data);
    assert.ok(hub.requests.some((r) => r.url.includes('blobs=true')));
    await assert.rejects(pullModel(options(hub, cache, 'q4')), /no ONNX file for dtype 'q4' \(it has: onnx\/model.onnx/);
  } finally {
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test('no hub: the pull fails fast with a message that says what to do', async () => {
  const hub = await fakeHub();
  const endpoint = hub.endpoint;
  await hub.close(); // nothing listens there any more
  const cache = mkdtempSync(join(tmpdir(), 'duet-pull-'));
  try {
    await assert.rejects(pullModel({ ...options(hub, cache), endpoint }), (err: unknown) => err instanceof HubError && err.status === undefined && /cannot reach/.test(err.message));
    const script = fileURLToPath(new URL('../../scripts/models/pull.ts', import.meta.url));
    const cli = spawnSync(process.execPath, ['--import', 'tsx', script, REPO, '--cache-dir', cache], {
      env: { ...process.env, HF_ENDPOINT: endpoint },
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    assert.match(cli.stderr, /set models\.chat\.model \(or models\.asr\.model\) to its directory/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

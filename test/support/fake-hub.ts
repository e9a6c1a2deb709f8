// An in-test HTTP server speaking the Hugging Face hub's API as models/hub/ uses it: the tree
// listing (paged), the model-info fallback, resolve with a redirect to a "CDN" that honours Range
// and sends sizes and ETags. Repositories are served from directories (the tiny fixture models).
// Faults on demand: 5xx, a connection cut partway, transfers held until released.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface FakeHubFaults {
  /** Answer the next N listing requests of a repository with HTTP 503. */
  listing503?: Record<string, number>;
  /** Cut the next transfer of this file (repo/path) after this many bytes. */
  cutOnce?: { file: string; bytes: number };
  /** File transfers wait for this before sending a byte. */
  hold?: Promise<void>;
}

export interface FakeHub {
  endpoint: string;
  requests: { path: string; range?: string; status: number }[];
  faults: FakeHubFaults;
  close(): Promise<void>;
}

function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(dir, full).split('\\').join('/'), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const gitOid = (data: Buffer) => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
/** Binary files are LFS on the hub (listed with sha256), text files are plain git blobs. */
const isLfs = (path: string) => path.endsWith('.onnx') || path.includes('.onnx_data');

export async function startFakeHub(repos: Record<string, string>): Promise<FakeHub> {
  const served = new Map(Object.entries(repos).map(([id, dir]) => [id, filesOf(dir)]));
  const requests: FakeHub['requests'] = [];
  const faults: FakeHubFaults = {};
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://hub');
    const log = (status: number) => requests.push({ path: url.pathname, ...(req.headers.range ? { range: req.headers.range } : {}), status });
    const json = (status: number, body: unknown) => {
      log(status);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const listing = /^\/api\/models\/([^/]+\/[^/]+)\/(tree|revision)\/main$/.exec(url.pathname);
    if (listing) {
      const repo = listing[1]!;
      const files = served.get(repo);
      if (!files) return json(404, { error: 'Repository not found' });
      if ((faults.listing503?.[repo] ?? 0) > 0) {
        faults.listing503![repo]! -= 1;
        return json(503, { error: 'Service Unavailable' });
      }
      const entries = [...files].map(([path, data]) =>
        isLfs(path) ? { type: 'file', oid: gitOid(Buffer.from(path)), size: data.length, path, lfs: { oid: sha256(data), size: data.length, pointerSize: 134 } } : { type: 'file', oid: gitOid(data), size: data.length, path },
      );
      if (listing[2] === 'tree') return json(200, entries);
      return json(200, { id: repo, siblings: entries.map((e) => ({ rfilename: e.path, size: e.size, blobId: e.oid, ...(e.lfs ? { lfs: { sha256: e.lfs.oid, size: e.size } } : {}) })) });
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    if (resolve) {
      if (!served.get(resolve[1]!)?.has(decodeURIComponent(resolve[2]!))) return json(404, { error: 'Entry not found' });
      log(302);
      res.writeHead(302, { location: `/cdn/${resolve[1]}/${resolve[2]}` });
      return res.end();
    }
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const data = cdn ? served.get(cdn[1]!)?.get(decodeURIComponent(cdn[2]!)) : undefined;
    if (!cdn || !data) return json(404, { error: 'Not Found' });
    const file = `${cdn[1]}/${decodeURIComponent(cdn[2]!)}`;
    void (faults.hold ?? Promise.resolve()).then(() => {
      const etag = `"${isLfs(file) ? sha256(data) : gitOid(data)}"`;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        if (start >= data.length) {
          log(416);
          res.writeHead(416);
          return res.end();
        }
        log(206);
        res.writeHead(206, { etag, 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
        return res.end(data.subarray(start));
      }
      if (faults.cutOnce?.file === file) {
        const { bytes } = faults.cutOnce;
        faults.cutOnce = undefined;
        log(200);
        res.writeHead(200, { etag, 'content-length': data.length });
        // End the connection (FIN) once the bytes are out: a reset could drop them from the client's buffer.
        res.write(data.subarray(0, bytes), () => res.socket?.end());
        return;
      }
      log(200);
      res.writeHead(200, { etag, 'content-length': data.length });
      res.end(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    faults,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// One file from the hub: resumed with an HTTP Range from what `<file>.part` already holds,
// checked against the listed size and hash (sha256 for LFS files, git blob sha1 otherwise),
// renamed into place only when it matches.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { HubError, hubFetch, type HubClientOptions, type HubFile } from './hub-api.js';

export interface DownloadOptions extends HubClientOptions {
  /** Abort a transfer that delivers no byte for this long. */
  stallTimeoutMs: number;
  onBytes?: (bytes: number) => void;
}

export type DownloadResult = 'present' | 'downloaded' | 'resumed';

/** sha256, or git's blob sha1 ("blob <size>\0" + content), of a file on disk. */
export async function fileDigest(path: string, kind: 'sha256' | 'git-sha1'): Promise<string> {
  const hash = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'git-sha1') hash.update(`blob ${statSync(path).size}\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Whether `path` has the listed size and hash. Files listed without a hash are checked by size. */
export async function verifyFile(path: string, file: HubFile): Promise<boolean> {
  if (!existsSync(path) || statSync(path).size !== file.size) return false;
  if (file.sha256) return (await fileDigest(path, 'sha256')) === file.sha256.toLowerCase();
  if (file.gitOid) return (await fileDigest(path, 'git-sha1')) === file.gitOid.toLowerCase();
  return true;
}

export async function downloadFile(url: string, dest: string, file: HubFile, options: DownloadOptions): Promise<DownloadResult> {
  if (await verifyFile(dest, file)) {
    options.onBytes?.(file.size);
    return 'present';
  }
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > file.size) {
    rmSync(part);
    have = 0;
  }
  const resumed = have > 0;
  if (have < file.size || file.size === 0) {
    const controller = new AbortController();
    let stall: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(new HubError(`no data for ${options.stallTimeoutMs} ms from ${new URL(url).origin}`)), options.stallTimeoutMs);
    };
    arm();
    try {
      const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const response = await hubFetch(url, options, { headers, signal: controller.signal });
      if (response.status === 416 && have === file.size) {
        // nothing left to fetch
      } else if (!response.ok || !response.body) {
        throw new HubError(`download of ${file.path}: HTTP ${response.status}`, response.status);
      } else {
        const append = response.status === 206 && have > 0;
        if (!append) have = 0; // the server ignored the range: start over
        options.onBytes?.(have);
        // Every byte received reaches the .part file even when the transfer breaks off, so the
        // next attempt resumes from all of it (a pipeline would drop writes still buffered).
        const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
        try {
          for await (const chunk of Readable.fromWeb(response.body as never) as AsyncIterable<Buffer>) {
            arm();
            options.onBytes?.(chunk.length);
            if (!out.write(chunk)) await once(out, 'drain');
          }
        } finally {
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        }
      }
    } catch (err) {
      if (controller.signal.aborted && controller.signal.reason instanceof HubError) throw controller.signal.reason;
      throw err;
    } finally {
      clearTimeout(stall);
    }
  }
  if (!(await verifyFile(part, file))) {
    const size = existsSync(part) ? statSync(part).size : 0;
    rmSync(part, { force: true });
    throw new HubError(
      size !== file.size
        ? `${file.path}: got ${size} bytes, the hub lists ${file.size}`
        : `${file.path}: content does not match the hub's ${file.sha256 ? 'sha256' : 'git hash'}; the partial file was removed, run the command again`,
    );
  }
  renameSync(part, dest);
  return resumed ? 'resumed' : 'downloaded';
}

// `npm run models:pull -- <id>`: list the repository, pick what Duet needs, download it under
// <cacheDir>/<owner>/<name> (where models.chat.model = "<owner>/<name>" is looked up), verified.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { downloadFile, type DownloadResult } from './download.js';
import { listRepoFiles, resolveUrl, type HubClientOptions, type HubFile } from './hub-api.js';
import { ProgressBar, type ProgressSink } from './progress.js';
import { isHubId } from './resolve.js';
import { selectFiles } from './select-files.js';

export interface PullOptions extends HubClientOptions {
  repoId: string;
  revision: string;
  cacheDir: string;
  /** ONNX variant to fetch (fp32, fp16, q8, q4, ...); `all` fetches every file. */
  dtype: string;
  stallTimeoutMs: number;
  progress?: ProgressSink;
  /** Bytes on disk so far of all the files pulled, after every chunk (the server's provisioning reads it). */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface PullReport {
  dir: string;
  files: { path: string; size: number; result: DownloadResult }[];
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export async function pullModel(options: PullOptions): Promise<PullReport> {
  if (!isHubId(options.repoId)) throw new Error(`'${options.repoId}' is not a hub id (owner/name)`);
  const listed = await listRepoFiles(options.repoId, options.revision, options);
  const files: HubFile[] = options.dtype === 'all' ? listed : selectFiles(listed, options.dtype);
  if (!files.some((f) => f.path.endsWith('.onnx'))) {
    const variants = [...new Set(listed.filter((f) => f.path.startsWith('onnx/') && f.path.endsWith('.onnx')).map((f) => f.path))];
    throw new Error(`${options.repoId} has no ONNX file for dtype '${options.dtype}'${variants.length ? ` (it has: ${variants.join(', ')})` : ' (it is not an ONNX export)'}`);
  }
  const dir = join(options.cacheDir, ...options.repoId.split('/'));
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const bar = options.progress ? new ProgressBar(total, options.progress) : null;
  const report: PullReport = { dir, files: [] };
  let done = 0;
  options.onProgress?.(0, total);
  for (const file of files) {
    bar?.setLabel(file.path);
    const result = await downloadFile(resolveUrl(options.repoId, options.revision, file.path, options), join(dir, file.path), file, {
      ...options,
      onBytes: (n) => {
        bar?.add(n);
        done += n;
        options.onProgress?.(done, total);
      },
    });
    report.files.push({ path: file.path, size: file.size, result });
  }
  bar?.finish();
  writeFileSync(join(dir, PULLED_MARKER), `${JSON.stringify({ repo: options.repoId, revision: options.revision, dtype: options.dtype, bytes: total, files: files.map((f) => f.path) }, null, 2)}\n`);
  return report;
}

/** Written into a model's cache directory once every file of a pull is verified. */
export const PULLED_MARKER = '.duet-pull.json';

/** Whether a complete pull of `dtype` (or of every file) is in `dir`: the cache can be used without the hub. */
export function isPulled(dir: string, dtype: string): boolean {
  const marker = join(dir, PULLED_MARKER);
  if (!existsSync(marker)) return false;
  try {
    const pulled = JSON.parse(readFileSync(marker, 'utf8')) as { dtype?: string };
    return pulled.dtype === dtype || pulled.dtype === 'all';
  } catch {
    return false;
  }
}

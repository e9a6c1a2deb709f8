// `npm run models:pull -- <id>`: list the repository, pick what Duet needs, download it under
// <cacheDir>/<owner>/<name> (where models.chat.model = "<owner>/<name>" is looked up), verified.

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
  for (const file of files) {
    bar?.setLabel(file.path);
    const result = await downloadFile(resolveUrl(options.repoId, options.revision, file.path, options), join(dir, file.path), file, {
      ...options,
      onBytes: (n) => bar?.add(n),
    });
    report.files.push({ path: file.path, size: file.size, result });
  }
  bar?.finish();
  return report;
}

// npm run models:pull -- <owner/name> [--dtype q8|fp32|...|all] [--revision main] [--cache-dir DIR] [--config FILE]
// Downloads a model from the Hugging Face hub (HF_ENDPOINT, HF_TOKEN honoured) into the cache
// the server resolves hub ids in (models.cacheDir). Resumable and verified; fails fast offline.

import { loadConfig } from '../../server/config/load.js';
import { HubError } from '../../models/hub/hub-api.js';
import { DEFAULT_ENDPOINT, pullModel } from '../../models/hub/pull.js';
import { knownDtypes } from '../../models/hub/select-files.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const configFile = flag(args, '--config');
  const dtype = flag(args, '--dtype') ?? 'fp32';
  const revision = flag(args, '--revision') ?? 'main';
  const cacheDirFlag = flag(args, '--cache-dir');
  const connectTimeoutMs = Number(flag(args, '--timeout-ms') ?? 5000);
  const repoId = args.find((a) => !a.startsWith('--'));
  if (!repoId) {
    process.stderr.write(`usage: npm run models:pull -- <owner/name> [--dtype ${knownDtypes().join('|')}|all] [--revision REV] [--cache-dir DIR]\n`);
    return 2;
  }
  const cacheDir = cacheDirFlag ?? loadConfig(configFile ? ['--config', configFile] : []).models.cacheDir;
  const endpoint = process.env.HF_ENDPOINT || DEFAULT_ENDPOINT;
  try {
    const report = await pullModel({
      repoId,
      revision,
      cacheDir,
      dtype,
      endpoint,
      timeoutMs: connectTimeoutMs,
      stallTimeoutMs: 30000,
      ...(process.env.HF_TOKEN ? { token: process.env.HF_TOKEN } : {}),
      progress: process.stderr,
    });
    const counts = report.files.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.result]: (acc[f.result] ?? 0) + 1 }), {});
    process.stdout.write(`${repoId} -> ${report.dir} (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}); every file matches the hub's size and hash\n`);
    process.stdout.write(`use it with: "models": { "chat": { "kind": "embedded", "model": "${repoId}"${dtype !== 'fp32' && dtype !== 'all' ? `, "dtype": "${dtype}"` : ''} } }\n`);
    return 0;
  } catch (err) {
    if (err instanceof HubError && err.status === undefined) {
      process.stderr.write(
        `models:pull: ${err.message}.\nThis machine cannot reach the Hugging Face hub. Either run this command where ${endpoint} is reachable and copy ` +
          `${cacheDir}/${repoId} here, or copy an ONNX export (Optimum / transformers.js layout) anywhere and set models.chat.model (or models.asr.model) to its directory.\n`,
      );
    } else {
      process.stderr.write(`models:pull: ${(err as Error).message}\n`);
    }
    return 1;
  }
}

process.exitCode = await main();

// Where a configured model lives: a local directory, or a hub id resolved under
// models.cacheDir (`<cacheDir>/<owner>/<name>`, the layout `npm run models:pull` writes
// and transformers.js' `env.localModelPath` expects).

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** owner/name as the hub spells repository ids (no `..`, no `--`, no leading dot). */
const HUB_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

export function isHubId(ref: string): boolean {
  return HUB_ID.test(ref) && !ref.includes('..') && !ref.includes('--');
}

export interface ResolvedModel {
  /** Absolute directory. */
  dir: string;
  source: 'local' | 'hub-cache';
  /** The hub id when `source` is `hub-cache`. */
  hubId?: string;
  exists: boolean;
}

/**
 * Resolves `ref` (a path, or a hub id) against `cacheDir`; both relative to `cwd`. A ref that
 * looks like a path (`./x`, `/x`, `../x`) or names an existing directory is local; otherwise a
 * hub id is looked up in the cache.
 */
export function resolveModelRef(ref: string, cacheDir: string, cwd = process.cwd()): ResolvedModel {
  const local = isAbsolute(ref) ? ref : resolve(cwd, ref);
  const looksLikePath = ref.startsWith('.') || isAbsolute(ref) || ref.includes('\\');
  if (looksLikePath || isDir(local) || !isHubId(ref)) {
    return { dir: local, source: 'local', exists: isDir(local) };
  }
  const dir = resolve(cwd, cacheDir, ...ref.split('/'));
  return { dir, source: 'hub-cache', hubId: ref, exists: isDir(dir) };
}

/** A message that says where we looked and what to do. */
export function missingModelMessage(ref: string, resolved: ResolvedModel): string {
  if (resolved.source === 'hub-cache') {
    return `model '${ref}' is not in the cache (${resolved.dir}); fetch it with \`npm run models:pull -- ${ref}\` or point the config at a local directory`;
  }
  return `model directory '${resolved.dir}' does not exist`;
}

function isDir(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

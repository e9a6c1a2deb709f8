import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `work` while holding `path` as a lock file, one process at a time: with server.workers > 1
 * every worker starts at once and would otherwise pull the same model into the same cache files.
 * A lock left by a process that is gone is taken over.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, pollMs = 250): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (holderGone(path)) {
        removeQuietly(path);
        continue;
      }
      await sleep(pollMs);
    }
  }
  try {
    return await work();
  } finally {
    removeQuietly(path);
  }
}

function holderGone(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, 'utf8'));
  } catch {
    return false; // being written or just removed: look again
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

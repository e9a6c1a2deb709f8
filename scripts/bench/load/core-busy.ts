// How busy a set of CPU cores was between two readings of /proc/stat (Linux). The server's own
// CPU (process.cpuUsage) leaves out its child processes, and the default speech synthesizer is
// one (the libespeak Python worker), pinned to the server's core with it: at 100 conversations
// the server reported 0.65-0.83 of a core while its core was 100% busy.
import { existsSync, readFileSync } from 'node:fs';

export interface CoreTimes {
  busy: number;
  total: number;
}

/** Jiffies of the listed cores ('0', '0,1', '2-3'); null where /proc/stat is absent. */
export function readCoreTimes(cpuList: string): CoreTimes | null {
  if (!existsSync('/proc/stat')) return null;
  const cores = parseCpuList(cpuList);
  let busy = 0;
  let total = 0;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m || !cores.has(Number(m[1]))) continue;
    const t = m[2]!.trim().split(/\s+/).map(Number);
    const idle = (t[3] ?? 0) + (t[4] ?? 0); // idle + iowait
    const sum = t.slice(0, 8).reduce((a, b) => a + b, 0); // user .. steal (guest is inside user)
    busy += sum - idle;
    total += sum;
  }
  return total > 0 ? { busy, total } : null;
}

/** Busy share of the cores between two readings (per core: 1 = all of one core), or null. */
export function coresBusy(before: CoreTimes | null, after: CoreTimes | null, coreCount: number): number | null {
  if (!before || !after || after.total <= before.total) return null;
  return ((after.busy - before.busy) / (after.total - before.total)) * coreCount;
}

export function parseCpuList(list: string): Set<number> {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map((x) => Number(x.trim()));
    if (!Number.isInteger(a)) continue;
    for (let c = a!; c <= (Number.isInteger(b) ? b! : a!); c++) out.add(c);
  }
  return out;
}

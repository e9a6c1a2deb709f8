// Output of the whole-server benchmarks: aligned text tables and bench-results/<name>.json.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { repoRoot } from './speech-audio.js';

export type Cell = string | number | boolean | null | undefined;

function show(value: Cell): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 1 : 2);
  return String(value);
}

export function formatTable(title: string, headers: string[], rows: Cell[][]): string {
  const cells = rows.map((r) => r.map(show));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`\n${title}`, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function printTable(title: string, headers: string[], rows: Cell[][]): void {
  console.log(formatTable(title, headers, rows));
}

/**
 * Prints an object from another benchmark whose shape this file does not own: every top-level
 * array of flat records as a table, the remaining scalars on one line.
 */
export function printRecords(title: string, value: unknown): void {
  if (value === null || typeof value !== 'object') return console.log(`\n${title}: ${JSON.stringify(value)}`);
  const scalars: Record<string, unknown> = {};
  let printed = false;
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
      const headers = [...new Set(v.flatMap((r) => Object.keys(r as object)))];
      const rows = v.map((r) => headers.map((h) => cell((r as Record<string, unknown>)[h])));
      printTable(`${title}: ${key}`, headers, rows);
      printed = true;
    } else scalars[key] = v;
  }
  if (!printed || Object.keys(scalars).length > 0) console.log(`${printed ? '' : `\n${title}: `}${JSON.stringify(scalars)}`);
}

function cell(v: unknown): Cell {
  return v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v) ? (v as Cell) : JSON.stringify(v);
}

/** Writes bench-results/<name>.json (the folder ignores itself: its own .gitignore holds `*`). */
export function writeResults(name: string, data: unknown, dir = path.join(repoRoot, 'bench-results')): string {
  mkdirSync(dir, { recursive: true });
  const ignore = path.join(dir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** The machine a result was measured on (ratios only compare within one run on one machine). */
export function machineInfo(loadAtStart: number[] = []): Record<string, unknown> {
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    /** 1/5/15-minute load averages at the start and end: other work on the machine skews percentiles. */
    loadAverageAtStart: loadAtStart.map((v) => Math.round(v * 100) / 100),
    loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
    date: new Date().toISOString(),
  };
}

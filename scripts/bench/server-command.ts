// How benchmarks start a Duet server process: with the node flags `npm start` uses
// (package.json scripts.start), so what they measure is the server as it is run.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

/** The node flags before `--import tsx` in `npm start` (e.g. ['--no-concurrent-marking']). */
export function serverNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { scripts: { start: string } }).scripts.start;
  // `exec` makes the shell replace itself with node, so signals npm forwards reach the server.
  const words = start.trim().split(/\s+/).filter((w, i) => !(i === 0 && w === 'exec'));
  const end = words.indexOf('--import');
  if (words[0] !== 'node' || end < 0) throw new Error(`unexpected start script: ${start}`);
  return words.slice(1, end);
}

// Rewrites the configuration table in README.md from the config schema (between the markers).
import { readFileSync, writeFileSync } from 'node:fs';
import { configKeys } from './config-keys.js';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';
const path = new URL('../../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const rows = configKeys().map((k) => `| \`${k.path}\` | \`${JSON.stringify(k.defaultValue) ?? '(none)'}\` | ${k.description.replaceAll('|', '\\|')} |`);
const table = ['| key | default | meaning |', '|---|---|---|', ...rows].join('\n');
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < 0) throw new Error('README has no config-table markers');
writeFileSync(path, `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`);
console.log(`README: ${rows.length} config keys`);

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// semver is in the tree through fastify; npm uses the same package to raise EBADENGINE.
const semver = createRequire(import.meta.url)('semver') as {
  satisfies: (version: string, range: string) => boolean;
  minVersion: (range: string) => { version: string } | null;
};

test('npm commands in the project print no warnings (no unknown project config)', () => {
  const run = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr.trim(), '', 'npm wrote to stderr');
});

test('every locked package accepts the oldest supported Node and this one (no EBADENGINE on npm ci)', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } };
  const floor = semver.minVersion(pkg.engines.node)?.version;
  assert.ok(floor, `engines.node ${pkg.engines.node}`);
  const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as {
    packages: Record<string, { engines?: { node?: string }; os?: string[] }>;
  };
  const refused: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = entry.engines?.node;
    if (!path || !range) continue;
    for (const version of [floor, process.version]) {
      if (!semver.satisfies(version, range)) refused.push(`${path.replace(/^.*node_modules\//, '')} wants node ${range}, not ${version}`);
    }
  }
  assert.deepEqual(refused, []);
});

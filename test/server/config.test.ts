import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../server/config/load.js';
import { configKeys } from '../../scripts/docs/config-keys.js';

test('defaults load with no file; PORT/HOST and DUET__ env overrides apply', () => {
  const config = loadConfig([], { PORT: '9123', HOST: '127.0.0.1', DUET__scheduler__pauseTimeoutMs: '1500', DUET_API_KEYS: 'aaaaaaaaaa, bbbbbbbbbb' });
  assert.equal(config.server.port, 9123);
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.scheduler.pauseTimeoutMs, 1500);
  assert.deepEqual(config.auth.apiKeys, ['aaaaaaaaaa', 'bbbbbbbbbb']);
  assert.equal(loadConfig([], {}).server.port, 8080);
});

test('a config file is read with --config or DUET_CONFIG; unknown keys and bad values stop start-up naming them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-config-'));
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ limits: { maxSessions: 7 } }));
  assert.equal(loadConfig(['--config', good], {}).limits.maxSessions, 7);
  assert.equal(loadConfig([], { DUET_CONFIG: good }).limits.maxSessions, 7);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ limits: { maxSessions: 0, colour: 'red' }, scheduler: { pauseTimeoutMs: 'soon' } }));
  assert.throws(() => loadConfig(['--config', bad], {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /limits\.maxSessions/);
    assert.match(err.message, /limits\.colour: Unexpected property/);
    assert.match(err.message, /scheduler\.pauseTimeoutMs/);
    return true;
  });
  assert.throws(() => loadConfig([], { PORT: 'eighty' }), /server\.port/);
  writeFileSync(bad, '{ not json');
  assert.throws(() => loadConfig(['--config', bad], {}), /not valid JSON/);
  assert.throws(() => loadConfig(['--config', join(dir, 'missing.json')], {}), /cannot read config file/);
});

test('every config key is documented in the README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const key of configKeys()) assert.ok(readme.includes(`\`${key.path}\``), `README documents ${key.path}`);
});

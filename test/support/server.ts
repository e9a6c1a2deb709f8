import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp, type AppOverrides, type BuiltApp } from '../../server/app.js';
import { resolveConfig } from '../../server/config/load.js';
import type { Config } from '../../server/config/schema.js';

export interface TestServer extends BuiltApp {
  url: string;
  wsUrl: string;
  config: Config;
  stop: () => Promise<void>;
}

/** A real server on 127.0.0.1 with a random port; config merged over quiet test defaults. */
export async function startServer(config: Record<string, unknown> = {}, overrides: AppOverrides = {}): Promise<TestServer> {
  const server = (config.server ?? {}) as Record<string, unknown>;
  // Tests never download: no chat model or recognizer unless the test names one.
  const models = { chat: null, asr: null, ...((config.models ?? {}) as Record<string, unknown>) };
  const resolved = resolveConfig({ ...config, models, server: { logLevel: 'silent', shutdownDeadlineMs: 2000, ...server } });
  const built = await buildApp(resolved, overrides);
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = built.app.server.address() as AddressInfo;
  const scheme = resolved.server.tls ? 'https' : 'http';
  return {
    ...built,
    config: resolved,
    url: `${scheme}://127.0.0.1:${port}`,
    wsUrl: `${scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${port}/v1/realtime`,
    stop: () => built.shutdown('test_end'),
  };
}

/** Writes a scripted-model script to a temp file, for `models.chat: {kind: 'scripted', script}` configs. */
export function scriptFile(script: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'duet-script-')), 'script.json');
  writeFileSync(path, JSON.stringify(script));
  return path;
}

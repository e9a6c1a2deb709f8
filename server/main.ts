import { loadConfig, ConfigError } from './config/load.js';
import { buildApp } from './app.js';
import { clusterWorkerOverrides, startCluster } from './cluster/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`duet: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (startCluster(config)) return; // the primary of server.workers > 1 processes (server/cluster/)
  const { app, shutdown } = await buildApp(config, { processMetrics: true, ...clusterWorkerOverrides(config) });
  await app.listen({ host: config.server.host, port: config.server.port });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(1); // a second signal: stop now
    app.log.info({ signal, deadline_ms: config.server.shutdownDeadlineMs }, 'shutting down');
    // Hard stop if draining hangs past the deadline (+1 s to close sockets).
    setTimeout(() => process.exit(1), config.server.shutdownDeadlineMs + 1000).unref();
    shutdown('server_shutdown').then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

void main();

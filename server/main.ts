import { loadConfig, ConfigError } from './config/load.js';
import { buildApp } from './app.js';
import { installStopSignals } from './stop-signals.js';

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
  const { app, shutdown } = await buildApp(config, { processMetrics: true });
  await app.listen({ host: config.server.host, port: config.server.port });
  installStopSignals({
    drain: () => shutdown('server_shutdown'),
    exit: (code) => process.exit(code),
    log: app.log,
    // Hard stop if draining hangs past the deadline (+1 s to close sockets).
    hardDeadlineMs: config.server.shutdownDeadlineMs + 1000,
  });
}

void main();

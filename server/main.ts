import { loadConfig, ConfigError } from './config/load.js';
import { buildApp } from './app.js';
import { installStopSignals } from './stop-signals.js';
import { logCapabilityReport } from './startup-report.js';
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
  const { app, shutdown, health, modelsReady } = await buildApp(config, { processMetrics: true, ...clusterWorkerOverrides(config) });
  await app.listen({ host: config.server.host, port: config.server.port });
  logCapabilityReport(app.log, health);
  // After first-start downloads: the report again, now with what arrived.
  void modelsReady.then(() => {
    if (health.provisioning?.().status) logCapabilityReport(app.log, health, 'models after the downloads ended');
  });
  installStopSignals({
    drain: () => shutdown('server_shutdown'),
    exit: (code) => process.exit(code),
    log: app.log,
    // Hard stop if draining hangs past the deadline (+1 s to close sockets).
    hardDeadlineMs: config.server.shutdownDeadlineMs + 1000,
  });
}

void main();

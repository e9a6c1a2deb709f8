import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { ModelSet } from '../models/types.js';
import { Metrics } from './metrics.js';
import { createModelSet } from './model-set.js';
import { SessionRegistry, type SharedAdmission } from './realtime/registry.js';
import { onSocketError, registerRealtimeRoute } from './realtime/route.js';
import { registerHealthRoutes } from './http/health.js';
import { chooseSubprotocol } from './realtime/auth.js';
import type { TurnDetectorFactory } from './realtime/audio-input.js';
import type { ChannelFactory } from './realtime/channel-factory.js';
import { createDetectorFactory } from './realtime/detector-factory.js';
import { createChannelFactory } from './realtime/default-channel-factory.js';
import { registerStaticPage } from './http/static-page.js';

export interface BuiltApp {
  app: FastifyInstance;
  registry: SessionRegistry;
  models: ModelSet;
  metrics: Metrics;
  /** Graceful drain: tell live sessions, let current turns finish within the deadline, close. */
  shutdown: (reason?: string) => Promise<void>;
}

export interface AppOverrides {
  /** A model set built by the caller (tests); else built from config.models. */
  models?: ModelSet;
  makeDetector?: TurnDetectorFactory;
  makeChannel?: ChannelFactory;
  processMetrics?: boolean;
  /** Cluster workers (server/cluster/): sessions counted for the whole server. */
  admission?: SharedAdmission;
  /** Cluster workers: GET /metrics serves this (every worker's metrics aggregated). */
  metricsText?: () => Promise<string>;
  /** Called with the built app (cluster workers drain it when the primary says so). */
  onBuilt?: (built: BuiltApp) => void;
}

/** Builds the server without listening (tests inject; main.ts listens). */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<BuiltApp> {
  const tls = config.server.tls;
  const app = Fastify({
    logger: { level: config.server.logLevel, redact: ['req.headers.authorization', 'req.headers["sec-websocket-protocol"]'] },
    ...(tls ? { https: { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } } : {}),
    // Long-lived sockets: let shutdown() decide when they end.
    forceCloseConnections: false,
  }) as unknown as FastifyInstance;
  const log = app.log as unknown as Logger;
  const metrics = new Metrics(overrides.processMetrics ?? false);
  const models = overrides.models ?? (await createModelSet(config.models, log));
  const registry = new SessionRegistry(config.limits.maxSessions);
  registry.shared = overrides.admission ?? null;
  const makeDetector = overrides.makeDetector ?? (await createDetectorFactory(config.audio, log));
  const makeChannel = overrides.makeChannel ?? createChannelFactory(config, models, metrics);

  await app.register(websocket, {
    errorHandler: onSocketError,
    options: {
      // Frames up to twice the limit are read and answered with message_too_large; larger ones close the socket (1009).
      maxPayload: config.limits.maxMessageBytes * 2,
      handleProtocols: (protocols) => chooseSubprotocol(protocols),
    },
  });
  registerHealthRoutes(app, { models, metrics, registry, maxSessions: config.limits.maxSessions, metricsText: overrides.metricsText });
  registerRealtimeRoute(app, { config, models, metrics, registry, makeDetector, makeChannel });
  registerStaticPage(app);

  let shuttingDown: Promise<void> | null = null;
  const shutdown = (reason = 'server_shutdown'): Promise<void> => {
    shuttingDown ??= (async () => {
      registry.draining = true;
      await registry.drainAll(config.server.shutdownDeadlineMs, reason);
      await app.close();
      await models.close();
    })();
    return shuttingDown;
  };
  const built = { app, registry, models, metrics, shutdown };
  overrides.onBuilt?.(built);
  return built;
}

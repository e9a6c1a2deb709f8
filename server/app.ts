import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { ModelSet } from '../models/types.js';
import { Metrics } from './metrics.js';
import { startModels, type StartedModels } from './provision-models.js';
import { loadEndOfTurnModel } from './turns/load-model.js';
import { SessionRegistry, type SharedAdmission } from './realtime/registry.js';
import { onSocketError, registerRealtimeRoute } from './realtime/route.js';
import { registerHealthRoutes, type HealthDeps } from './http/health.js';
import { chooseSubprotocol } from './realtime/auth.js';
import type { TurnDetectorFactory } from './realtime/audio-input.js';
import type { ChannelFactory } from './realtime/channel-factory.js';
import { createDetectorFactory } from './realtime/detector-factory.js';
import { createChannelFactory } from './realtime/default-channel-factory.js';
import { registerStaticPage } from './http/static-page.js';
import { speculates } from './turns/speculation.js';

export interface BuiltApp {
  app: FastifyInstance;
  registry: SessionRegistry;
  models: ModelSet;
  metrics: Metrics;
  /** Settles when background model downloads have ended and what arrived is loaded. */
  modelsReady: Promise<void>;
  /** What /readyz and the start-up report read. */
  health: HealthDeps;
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
  const registry = new SessionRegistry(config.limits.maxSessions);
  registry.shared = overrides.admission ?? null;
  // Models not in the cache are downloaded in the background and loaded when they arrive; every
  // change is told to live sessions (duet.capabilities.updated) and shows in /readyz.
  let started: StartedModels | null = null;
  const tellSessions = (): void => {
    if (!started) return; // changes before start-up finished are in session.created anyway
    const event = { type: 'duet.capabilities.updated', capabilities: started.models.status(), provisioning: started.provisioning().status } as const;
    for (const session of registry.list()) if (!session.isClosed) session.outbound.send(event);
  };
  started = overrides.models ? null : await startModels(config.models, log, { onChange: () => tellSessions() });
  const models = overrides.models ?? started!.models;
  if (models.endOfTurn === undefined) models.endOfTurn = await loadEndOfTurnModel(config, log);
  // Pauses are reported when something judges them: the end-of-turn model (and with it `auto`
  // speculative starts), speculative starts at every pause, or the monitor's early verdict.
  const pauseMs = config.turns.endOfTurn.includes('model') || speculates(config.turns, false) || config.scheduler.earlyVerdict ? config.turns.speculativePauseMs : 0;
  const makeDetector = overrides.makeDetector ?? (await createDetectorFactory(config.audio, log, pauseMs));
  const makeChannel = overrides.makeChannel ?? createChannelFactory(config, models, metrics);

  await app.register(websocket, {
    errorHandler: onSocketError,
    options: {
      // Frames up to twice the limit are read and answered with message_too_large; larger ones close the socket (1009).
      maxPayload: config.limits.maxMessageBytes * 2,
      handleProtocols: (protocols) => chooseSubprotocol(protocols),
    },
  });
  const health: HealthDeps = { models, metrics, registry, config, ...(started ? { provisioning: started.provisioning } : {}), ...(overrides.metricsText ? { metricsText: overrides.metricsText } : {}) };
  registerHealthRoutes(app, health);
  registerRealtimeRoute(app, { config, models, metrics, registry, makeDetector, makeChannel });
  registerStaticPage(app);

  let shuttingDown: Promise<void> | null = null;
  const shutdown = (reason = 'server_shutdown'): Promise<void> => {
    shuttingDown ??= (async () => {
      registry.draining = true;
      started?.stop();
      await registry.drainAll(config.server.shutdownDeadlineMs, reason);
      await app.close();
      await models.close();
      await models.endOfTurn?.close();
    })();
    return shuttingDown;
  };
  const built = { app, registry, models, metrics, health, modelsReady: started?.done ?? Promise.resolve(), shutdown };
  overrides.onBuilt?.(built);
  return built;
}

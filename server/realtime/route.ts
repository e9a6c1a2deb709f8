import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ModelSet } from '../../models/types.js';
import type { Metrics } from '../metrics.js';
import { errorEvent } from './send-error.js';
import { keyAccepted, presentedKey, wantsBeta } from './auth.js';
import { newId } from '../ids.js';
import { RealtimeSession } from './session.js';
import type { SessionRegistry } from './registry.js';
import type { TurnDetectorFactory } from './audio-input.js';
import type { ChannelFactory } from './channel-factory.js';

export interface RealtimeRouteDeps {
  config: Config;
  models: ModelSet;
  metrics: Metrics;
  registry: SessionRegistry;
  makeDetector: TurnDetectorFactory;
  makeChannel: ChannelFactory;
}

/** GET /v1/realtime: auth BEFORE the upgrade (401, no socket), then one session per socket. */
export function registerRealtimeRoute(app: FastifyInstance, deps: RealtimeRouteDeps): void {
  const { config, registry, metrics } = deps;
  app.get(
    '/v1/realtime',
    {
      websocket: true,
      preValidation: async (request, reply) => {
        if (!keyAccepted(presentedKey(request.headers), config.auth.apiKeys)) {
          metrics.sessionsRejected.inc({ reason: 'unauthorized' });
          metrics.errors.inc({ code: 'invalid_api_key' });
          await reply.code(401).send({ error: errorEvent('invalid_api_key', 'Missing or invalid API key.').error });
        }
      },
    },
    (socket, request) => {
      const refusal = registry.refusal();
      if (refusal) {
        // Upgrade, then say why: WebSocket clients surface an error event far better than an HTTP status.
        metrics.sessionsRejected.inc({ reason: registry.draining ? 'draining' : 'busy' });
        metrics.errors.inc({ code: 'server_busy' });
        // No session (and so no Outbound) exists: the event is stamped here, shaped by the one function.
        socket.send(JSON.stringify({ event_id: newId('event'), ...errorEvent('server_busy', refusal) }));
        socket.close(1013, 'server busy');
        return;
      }
      const session = new RealtimeSession(socket, {
        config,
        models: deps.models,
        metrics,
        log: request.log as unknown as Logger,
        beta: wantsBeta(request.headers),
        makeDetector: deps.makeDetector,
        makeChannel: deps.makeChannel,
        onClosed: (s) => registry.remove(s),
        transport: request.raw.socket,
      });
      if (!session.isClosed) registry.add(session);
    },
  );
}

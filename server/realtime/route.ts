import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ModelSet } from '../../models/types.js';
import type { Metrics } from '../metrics.js';
import { errorEvent } from './send-error.js';
import { keyAccepted, presentedKey, wantsBeta } from './auth.js';
import { newId } from '../ids.js';
import { RealtimeSession } from './session.js';
import { HeldBytes } from '../conversation/conversation.js';
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
  const held = new HeldBytes(config.limits.maxServerHeldBytes, config.limits.maxSessionHeldBytes);
  /** Cluster workers: the shared admission's answer for this request (null: a slot is reserved). */
  const sharedRefusal = new WeakMap<object, string | null>();
  app.get(
    '/v1/realtime',
    {
      websocket: true,
      preValidation: async (request, reply) => {
        if (!keyAccepted(presentedKey(request.headers), config.auth.apiKeys)) {
          metrics.sessionsRejected.inc({ reason: 'unauthorized' });
          metrics.errors.inc({ code: 'invalid_api_key' });
          await reply.code(401).send({ error: errorEvent('invalid_api_key', 'Missing or invalid API key.').error });
          return;
        }
        if (registry.shared) sharedRefusal.set(request, await registry.shared.reserve());
      },
    },
    (socket, request) => {
      const shared = registry.shared ? (sharedRefusal.get(request) ?? null) : null;
      const reserved = registry.shared !== null && shared === null;
      let released = false;
      const release = () => {
        if (reserved && !released) registry.shared!.release();
        released = true;
      };
      const busy = registry.refusal() ?? shared;
      const refusal = busy ?? (held.full ? `The server's conversations hold ${held.total} bytes, at its limit of ${held.limit}; try again later.` : null);
      if (refusal) {
        // Upgrade, then say why: WebSocket clients surface an error event far better than an HTTP status.
        metrics.sessionsRejected.inc({ reason: registry.draining ? 'draining' : busy ? 'busy' : 'held_bytes' });
        metrics.errors.inc({ code: 'server_busy' });
        // No session (and so no Outbound) exists: the event is stamped here, shaped by the one function.
        socket.send(JSON.stringify({ event_id: newId('event'), ...errorEvent('server_busy', refusal) }));
        socket.close(1013, 'server busy');
        release();
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
        onClosed: (s) => {
          registry.remove(s);
          release();
        },
        transport: request.raw.socket,
        held,
      });
      if (!session.isClosed) registry.add(session);
      else release();
    },
  );
}

/**
 * The websocket plugin's error handler. A client's bad frame (over `maxPayload`, invalid UTF-8,
 * a protocol violation) is the client's fault: ws has already started the close handshake with
 * the right code (1009, 1007, 1002), so it is logged once at warn, without a stack, and the
 * close frame is left to arrive (terminating here would drop it: the client would see 1006).
 * Anything else is a bug in the handler: logged as an error, the socket terminated.
 */
export function onSocketError(this: unknown, error: Error, socket: WebSocket, request: FastifyRequest): void {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
    request.log.warn({ code, reason: error.message }, 'client frame error; closing the socket');
    return;
  }
  request.log.error({ err: error }, 'websocket handler failed');
  socket.terminate();
}

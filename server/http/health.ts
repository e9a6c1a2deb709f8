import type { FastifyInstance } from 'fastify';
import type { ModelSet } from '../../models/types.js';
import type { Metrics } from '../metrics.js';
import type { SessionRegistry } from '../realtime/registry.js';

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { models: ModelSet; metrics: Metrics; registry: SessionRegistry; maxSessions: number; metricsText?: () => Promise<string> },
): void {
  const { models, metrics, registry } = deps;

  /** Liveness: the process answers. */
  app.get('/healthz', async () => ({ status: 'ok' }));

  /**
   * Readiness: can take a new session now. Model capabilities are listed either way; a
   * server without a chat model is still ready (it serves the audio front-end and protocol)
   * and says what is missing.
   */
  app.get('/readyz', async (_request, reply) => {
    const capabilities = models.status();
    const refusal = registry.refusal();
    const body = {
      ready: refusal === null,
      ...(refusal ? { reason: refusal } : {}),
      sessions: { active: registry.size, max: deps.maxSessions },
      capabilities,
      missing: Object.entries(capabilities)
        .filter(([, s]) => !s.available)
        .map(([name, s]) => ({ capability: name, reason: s.reason ?? 'unavailable' })),
    };
    return reply.code(refusal ? 503 : 200).send(body);
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return deps.metricsText ? deps.metricsText() : metrics.registry.metrics();
  });
}

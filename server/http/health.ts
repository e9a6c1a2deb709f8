import type { FastifyInstance } from 'fastify';
import type { Capability, ModelSet } from '../../models/types.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import type { SessionRegistry } from '../realtime/registry.js';
import { canAnswer, capabilityReport } from '../capability-report.js';

export interface HealthDeps {
  models: ModelSet;
  metrics: Metrics;
  registry: SessionRegistry;
  config: Pick<Config, 'models' | 'audio' | 'server' | 'limits'>;
  /** Models being fetched or loaded in the background, with the action to show meanwhile. */
  provisioning?: () => { status: object | null; actions: Partial<Record<Capability, string>> };
  /** /metrics text (a cluster worker serves the sum over all workers, from the primary). */
  metricsText?: () => Promise<string>;
}

/** What /readyz serves: readiness, the two questions behind it, and the capability report. */
export function readiness(deps: HealthDeps): { status: number; body: Record<string, unknown> } {
  const { models, registry, config } = deps;
  const provisioning = deps.provisioning?.() ?? { status: null, actions: {} };
  const refusal = registry.refusal();
  const answering = canAnswer(models);
  const ready = refusal === null && (answering || config.server.readyWithoutModels);
  const rows = capabilityReport(models, config, provisioning.actions);
  const reason = refusal ?? (ready ? null : 'No model can answer: a load balancer should send users elsewhere (set server.readyWithoutModels to admit model-free sessions).');
  return {
    status: ready ? 200 : 503,
    body: {
      ready,
      ...(reason ? { reason } : {}),
      accepting_sessions: refusal === null,
      can_answer: answering,
      sessions: { active: registry.size, max: config.limits.maxSessions },
      capabilities: Object.fromEntries(rows.map(({ capability, ...status }) => [capability, status])),
      missing: rows.filter((r) => !r.available).map((r) => ({ capability: r.capability, reason: r.reason ?? 'unavailable', ...(r.action ? { action: r.action } : {}) })),
      provisioning: provisioning.status,
    },
  };
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  /** Liveness: the process answers. */
  app.get('/healthz', async () => ({ status: 'ok' }));

  /**
   * Readiness: 200 when a new session would be taken and could get an answer. A server without a
   * model that can answer still takes sessions (`accepting_sessions`) but is not ready unless
   * server.readyWithoutModels says model-free sessions are wanted.
   */
  app.get('/readyz', async (_request, reply) => {
    const { status, body } = readiness(deps);
    return reply.code(status).send(body);
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metricsText ? deps.metricsText() : deps.metrics.registry.metrics();
  });
}

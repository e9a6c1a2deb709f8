// The HTTP side through fastify's inject(): no port, no socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../server/app.js';
import { resolveConfig } from '../../server/config/load.js';
import { scriptedModelSet } from '../../models/scripted/index.js';

test('inject: /healthz answers and /metrics exposes the session, response and interruption metrics', async () => {
  const config = resolveConfig({ server: { logLevel: 'silent' } });
  const { app } = await buildApp(config, { models: scriptedModelSet({ replies: [{ text: 'Hi.' }], tokenDelayMs: 0, decisions: ['<1>'], rules: [], decisionDelayMs: 0 }) });
  try {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    for (const name of ['duet_active_sessions', 'duet_active_responses', 'duet_tentative_pauses_total', 'duet_interruption_detection_ms']) {
      assert.match(metrics.body, new RegExp(`# TYPE ${name} `), `${name} is exposed`);
    }
  } finally {
    await app.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../support/server.js';
import { firstTurn, loadSpeech, streamAudio } from '../support/speech.js';
import { TestClient, type Ev } from '../support/client.js';
import { startFakeHub } from '../support/fake-hub.js';
import { Provisioner, planProvisioning } from '../../server/provisioning.js';
import { resolveConfig } from '../../server/config/load.js';

// First start with the default behaviour (models.download): hub ids not in the cache are pulled
// from an in-test hub serving the tiny fixture models, then loaded without a restart.
const FIXTURES = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
const CHAT = 'test-org/tiny-llm';
const ASR = 'test-org/tiny-whisper';

type Ready = {
  ready: boolean;
  can_answer: boolean;
  capabilities: Record<string, { available: boolean; reason?: string; action?: string }>;
  provisioning: { state: string; models: { model: string; state: string; received_bytes: number; total_bytes: number | null; error?: string }[] } | null;
};
const readyz = async (url: string) => {
  const r = await fetch(`${url}/readyz`);
  return { status: r.status, body: (await r.json()) as Ready };
};
const modelsConfig = (cacheDir: string, hubEndpoint: string) => ({
  cacheDir,
  hubEndpoint,
  chat: { kind: 'embedded', model: CHAT, maxNewTokens: 8 },
  asr: { kind: 'embedded', model: ASR },
  tts: null,
});

async function askText(client: TestClient, text: string): Promise<{ status: string; tokens: number }> {
  const from = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
  client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
  const done = await client.waitFor('response.done', () => true, 30000, from);
  const r = done.response as { status: string; usage: { output_tokens: number } | null };
  return { status: r.status, tokens: r.usage?.output_tokens ?? 0 };
}

/** A spoken question, committed by the client (the monitor's verdict is not under test here). */
async function askSpoken(client: TestClient): Promise<{ status: string; tokens: number; transcribed: boolean }> {
  const from = client.events.length;
  client.send({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: null, transcription: { model: 'whisper' } } } } });
  await client.waitFor('session.updated', () => true, 5000, from);
  await streamAudio(client, firstTurn(loadSpeech('two-turns-clean')), 8);
  client.send({ type: 'input_audio_buffer.commit' });
  const transcribed = await client.waitFor('conversation.item.input_audio_transcription.completed', () => true, 30000, from);
  client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
  const done = await client.waitFor('response.done', () => true, 30000, from);
  const r = done.response as { status: string; usage: { output_tokens: number } | null };
  return { status: r.status, tokens: r.usage?.output_tokens ?? 0, transcribed: typeof transcribed.transcript === 'string' };
}

test('first start: missing models download in the background with progress (a 503 and a cut connection on the way), load without a restart and answer; the second start uses the cache', async () => {
  const hub = await startFakeHub({ [CHAT]: `${FIXTURES}tiny-llm`, [ASR]: `${FIXTURES}tiny-whisper` });
  const cache = mkdtempSync(join(tmpdir(), 'duet-first-start-'));
  let release!: () => void;
  hub.faults.hold = new Promise<void>((r) => (release = r));
  hub.faults.listing503 = { [CHAT]: 1 };
  hub.faults.cutOnce = { file: `${CHAT}/onnx/model.onnx`, bytes: 60000 };
  let server = await startServer({ models: modelsConfig(cache, hub.endpoint) });
  let client: TestClient | null = null;
  try {
    // Downloads are held: the server is up, takes sessions, and says what is coming.
    client = await TestClient.connect(server.wsUrl);
    const created = await client.waitFor('session.created');
    const caps = (created.session as { duet: { capabilities: Record<string, { available: boolean; reason?: string }> } }).duet.capabilities;
    assert.equal(caps.generator!.available, false);
    assert.match(caps.generator!.reason ?? '', /downloading test-org\/tiny-llm/);
    let ready = await readyz(server.url);
    assert.equal(ready.status, 503, 'not ready while no model can answer');
    assert.equal(ready.body.provisioning?.state, 'downloading');
    assert.deepEqual(ready.body.provisioning?.models.map((m) => m.model), [ASR, CHAT]);
    assert.match(ready.body.capabilities.generator!.action ?? '', /^wait/);

    release();
    const loaded = await client.waitFor('duet.capabilities.updated', (e) => (e.provisioning as Ready['provisioning'])?.state === 'done', 60000);
    const caps2 = loaded.capabilities as Ready['capabilities'];
    assert.equal(caps2.generator!.available, true, JSON.stringify(caps2));
    assert.equal(caps2.asr!.available, true, JSON.stringify(caps2));

    // Progress was told to the session as it went: bytes only grow, and end at the hub's total.
    const updates = client.events.filter((e: Ev) => e.type === 'duet.capabilities.updated').map((e) => (e.provisioning as NonNullable<Ready['provisioning']>).models.find((m) => m.model === CHAT)!);
    const received = updates.map((m) => m.received_bytes);
    assert.ok(received.some((b, i) => i > 0 && b > 0 && b < updates[i]!.total_bytes!), `a partial figure was reported: ${received.join(',')}`);
    assert.equal(received.at(-1), updates.at(-1)!.total_bytes);
    // The 503 was retried, and the cut transfer resumed with a Range request from what it had.
    assert.equal(hub.requests.filter((r) => r.path === `/api/models/${CHAT}/tree/main` && r.status === 503).length, 1);
    const resumed = hub.requests.find((r) => r.path === `/cdn/${CHAT}/onnx/model.onnx` && r.range);
    assert.ok(resumed && Number(/bytes=(\d+)-/.exec(resumed.range!)![1]) > 0, 'resumed from the partial file');
    assert.equal(resumed.status, 206);

    // The session opened before the download gets answers now, and so does the balancer.
    const answer = await askText(client, 'hello');
    assert.ok(answer.status === 'completed' || answer.status === 'incomplete', answer.status);
    assert.ok(answer.tokens > 0);
    // A spoken question too: the downloaded Whisper transcribes it, the downloaded chat model answers.
    const spoken = await askSpoken(client);
    assert.ok(spoken.status === 'completed' || spoken.status === 'incomplete', spoken.status);
    assert.ok(spoken.tokens > 0);
    assert.equal(spoken.transcribed, true, 'the downloaded ASR transcribed the spoken question');
    ready = await readyz(server.url);
    assert.equal(ready.status, 200);
    assert.ok(ready.body.provisioning?.models.every((m) => m.state === 'ready'));
    assert.deepEqual(client.violations, []);
    client.close();
    await server.stop();

    // Second start: everything is in the cache; the hub is not asked and answers come at once.
    const before = hub.requests.length;
    server = await startServer({ models: modelsConfig(cache, hub.endpoint) });
    ready = await readyz(server.url);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.provisioning, null);
    client = await TestClient.connect(server.wsUrl);
    await client.waitFor('session.created');
    assert.ok((await askText(client, 'again')).tokens > 0);
    assert.equal(hub.requests.length, before, 'no request to the hub');
  } finally {
    client?.close();
    await server.stop();
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test('a repository the hub does not have (404) fails that model without retrying; the other still loads', async () => {
  const hub = await startFakeHub({ [ASR]: `${FIXTURES}tiny-whisper` });
  const cache = mkdtempSync(join(tmpdir(), 'duet-first-start-'));
  const server = await startServer({ models: modelsConfig(cache, hub.endpoint) });
  try {
    await server.modelsReady;
    const { status, body } = await readyz(server.url);
    assert.equal(status, 503);
    assert.equal(body.capabilities.asr!.available, true);
    assert.equal(body.capabilities.generator!.available, false);
    assert.match(body.capabilities.generator!.reason ?? '', /download of test-org\/tiny-llm failed: .*HTTP 404/);
    assert.match(body.capabilities.generator!.action ?? '', /npm run models:pull -- test-org\/tiny-llm/);
    assert.equal(hub.requests.filter((r) => r.path === `/api/models/${CHAT}/tree/main`).length, 1, 'no retry after a 404');
  } finally {
    await server.stop();
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test('no hub: provisioning fails fast with one line that says what to do, and the server goes on model-free', async () => {
  const hub = await startFakeHub({});
  const endpoint = hub.endpoint;
  await hub.close(); // nothing listens there now
  const cache = mkdtempSync(join(tmpdir(), 'duet-first-start-'));
  try {
    const models = resolveConfig({ models: modelsConfig(cache, endpoint) }).models;
    const targets = planProvisioning(models, {});
    assert.deepEqual(targets.map((t) => t.model), [ASR, CHAT]);
    const warnings: string[] = [];
    const provisioner = new Provisioner(targets, { models, log: { info: () => {}, warn: (_o, msg) => warnings.push(msg) }, onChange: () => {}, env: {} });
    assert.deepEqual(await provisioner.pullAll(), []);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): not downloading test-org\/tiny-whisper \(fp32\), test-org\/tiny-llm \(fp32\); going on without them\. To get answers: run `npm run models:pull -- <id>`/);
    assert.ok(provisioner.status()!.models.every((m) => m.state === 'failed'));
    // The switches that keep today's model-free start never plan a download.
    assert.deepEqual(planProvisioning({ ...models, download: false }, {}), []);
    assert.deepEqual(planProvisioning(models, { HF_HUB_OFFLINE: '1' }), []);
    assert.deepEqual(planProvisioning({ ...models, chat: null, asr: null }, {}), []);

    const server = await startServer({ models: modelsConfig(cache, endpoint), server: { readyWithoutModels: true } });
    try {
      await server.modelsReady;
      const { status, body } = await readyz(server.url);
      assert.equal(status, 200, 'model-free sessions admitted by the option');
      assert.equal(body.can_answer, false);
      assert.match(body.capabilities.generator!.reason ?? '', /cannot reach/);
      const client = await TestClient.connect(server.wsUrl);
      await client.waitFor('session.created');
      client.send({ type: 'response.create', event_id: 'r1' });
      assert.equal(((await client.errorFor('r1')).error as { code: string }).code, 'model_unavailable');
      client.close();
    } finally {
      await server.stop();
    }
    assert.ok(!existsSync(join(cache, CHAT, '.duet-pull.json')));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('two processes starting together (server.workers) pull a model once: the second waits for the first and finds it complete', async () => {
  const hub = await startFakeHub({ [CHAT]: `${FIXTURES}tiny-llm`, [ASR]: `${FIXTURES}tiny-whisper` });
  const cache = mkdtempSync(join(tmpdir(), 'duet-first-start-'));
  try {
    const models = resolveConfig({ models: modelsConfig(cache, hub.endpoint) }).models;
    const quiet = { info: () => {}, warn: () => {} };
    const make = () => new Provisioner(planProvisioning(models, {}), { models, log: quiet, onChange: () => {}, env: {} });
    const [a, b] = await Promise.all([make().pullAll(), make().pullAll()]);
    assert.deepEqual(a.sort(), ['asr', 'chat']);
    assert.deepEqual(b.sort(), ['asr', 'chat']);
    const weights = hub.requests.filter((r) => r.path === `/cdn/${CHAT}/onnx/model.onnx`);
    assert.equal(weights.length, 1, `the weights were fetched ${weights.length} times`);
    assert.equal(existsSync(join(cache, `.${CHAT.replaceAll('/', '--')}.pull-lock`)), false, 'the lock is gone');
  } finally {
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

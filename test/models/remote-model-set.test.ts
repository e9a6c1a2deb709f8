import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ModelsSection } from '../../models/config.js';
import { createRemoteModelSet } from '../../models/remote/index.js';
import type { ChatMessage } from '../../models/types.js';
import { captureLog, endpointFor, FakeEngine, startFakeEngine } from '../support/fake-engine.js';

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable);
}

describe('remote model set', () => {
  let gpuA: FakeEngine;
  let gpuB: FakeEngine;

  before(async () => {
    gpuA = await startFakeEngine({ modelIds: ['vita'] });
    gpuB = await startFakeEngine({ modelIds: ['vita'] });
  });
  after(async () => {
    await gpuA.close();
    await gpuB.close();
  });

  test('generator and monitor on two engines: each instance talks to its own', async () => {
    const config: ModelsSection = {
      cacheDir: '.cache/models',
      chat: { kind: 'remote', generator: endpointFor(gpuA, { model: 'vita' }), monitor: endpointFor(gpuB, { model: 'vita' }), vision: false, maxNewTokens: 16 },
      asr: null,
      tts: null,
    };
    const set = createRemoteModelSet(config, captureLog(), { probeOnStart: false, reprobeIntervalMs: 0 });
    try {
      const [a, b] = set.instances!;
      assert.notEqual(a.id, b.id);
      await drain(a.generate({ messages: [user('x')], signal: new AbortController().signal }));
      gpuB.script('chat', { kind: 'reply', content: '1', logprobs: [{ token: '1', logprob: -0.1 }] });
      await b.classify({ transcript: 'y', history: [] });
      assert.equal(gpuA.requestsFor('chat').length, 1);
      assert.equal(gpuB.requestsFor('chat').length, 1);
      assert.equal(gpuB.requestsFor('chat')[0]!.json.max_tokens, 1);
      // Roles swap on an interrupt: the monitor instance can generate, the generator can classify.
      await drain(b.generate({ messages: [user('z')], signal: new AbortController().signal }));
      assert.equal(gpuB.requestsFor('chat').length, 2);
    } finally {
      await set.close();
      gpuA.requests.length = 0;
      gpuB.requests.length = 0;
    }
  });

  test('status before and after probe; probe names the role that is down', async () => {
    const down = await startFakeEngine();
    const downUrl = down.url;
    await down.close();
    const config: ModelsSection = {
      cacheDir: '.cache/models',
      chat: { kind: 'remote', generator: endpointFor(gpuA, { model: 'vita' }), monitor: endpointFor(downUrl, { model: 'vita' }), vision: true, maxNewTokens: 16 },
      asr: { kind: 'remote', endpoint: endpointFor(gpuA, { model: 'whisper-large-v3' }) },
      tts: null,
    };
    const set = createRemoteModelSet(config, captureLog(), { probeOnStart: false, reprobeIntervalMs: 0 });
    try {
      const before = set.status();
      assert.equal(before.generator.available, false);
      assert.match(before.generator.reason ?? '', /not probed yet/);
      assert.match(before.tts.reason ?? '', /not a remote engine/);

      const report = await set.probe();
      const byRole = Object.fromEntries(report.map((r) => [r.role, r]));
      assert.deepEqual(Object.keys(byRole).sort(), ['asr', 'generator', 'monitor']);
      assert.equal(byRole.generator!.ok, true);
      assert.equal(byRole.monitor!.ok, false);
      assert.match(byRole.monitor!.reason ?? '', /ECONNREFUSED|cannot reach/);
      assert.equal(byRole.asr!.ok, false, 'engine A does not serve the ASR model');
      assert.match(byRole.asr!.reason ?? '', /model "whisper-large-v3" is not served \(serves: vita\)/);

      const status = set.status();
      assert.deepEqual(status.generator, { available: true, backend: `remote:${gpuA.url}#vita` });
      assert.equal(status.vision.available, true);
      assert.equal(status.monitor.available, false);
      assert.match(status.monitor.reason ?? '', /^monitor engine down/);
      assert.equal(status.asr.available, false);
      assert.equal(gpuA.requestsFor('models').length, 2, 'one probe per distinct endpoint');
    } finally {
      await set.close();
      gpuA.requests.length = 0;
    }
  });

  test('one engine for both instances: a single client, probed once, both roles reported', async () => {
    const config: ModelsSection = {
      cacheDir: '.cache/models',
      chat: { kind: 'remote', generator: endpointFor(gpuA, { model: 'vita' }), vision: false, maxNewTokens: 16 },
      asr: null,
      tts: { kind: 'espeak', defaultVoice: 'en-us', engine: 'auto' },
    };
    const set = createRemoteModelSet(config, captureLog(), { probeOnStart: false, reprobeIntervalMs: 0 });
    try {
      const report = await set.probe();
      assert.deepEqual(report.map((r) => [r.role, r.ok]), [['generator', true], ['monitor', true]]);
      assert.equal(gpuA.requestsFor('models').length, 1);
      assert.equal(set.tts, null);
      assert.equal(set.asr, null);
      assert.equal(set.vision, false);
      assert.equal(set.status().vision.available, false);
    } finally {
      await set.close();
      gpuA.requests.length = 0;
    }
  });

  test('probe on start and re-probe bring a late engine up without a request', async () => {
    const late = await startFakeEngine({ modelIds: ['vita'] });
    const port = late.port;
    await late.close();
    const config: ModelsSection = {
      cacheDir: '.cache/models',
      chat: { kind: 'remote', generator: endpointFor(`http://127.0.0.1:${port}/v1`, { model: 'vita' }), vision: false, maxNewTokens: 16 },
      asr: null,
      tts: null,
    };
    const set = createRemoteModelSet(config, captureLog(), { reprobeIntervalMs: 30 });
    const revived = new FakeEngine({ modelIds: ['vita'] });
    try {
      while (set.status().generator.reason?.includes('not probed')) await new Promise((r) => setTimeout(r, 10));
      assert.equal(set.status().generator.available, false);
      await revived.listen(port);
      while (!set.status().generator.available) await new Promise((r) => setTimeout(r, 10));
      assert.equal(set.status().monitor.available, true);
    } finally {
      await set.close();
      await revived.close();
    }
  });

  test('chat that is not remote gives no instances', () => {
    const set = createRemoteModelSet({ cacheDir: 'x', chat: { kind: 'scripted', script: 'x.json' }, asr: null, tts: null }, captureLog(), { probeOnStart: false });
    assert.equal(set.instances, null);
    assert.equal(set.status().generator.available, false);
    return set.close();
  });
});

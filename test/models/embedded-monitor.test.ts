import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ChatEngine } from '../../models/embedded/chat/chat-engine.js';
import { EmbeddedChatInstance } from '../../models/embedded/chat/chat-instance.js';
import { monitorPrompt } from '../../models/embedded/chat/prompt.js';
import { isEmbeddedModelError } from '../../models/embedded/errors.js';
import type { ChatMessage, MonitorRequest } from '../../models/types.js';

const DIR = fileURLToPath(new URL('../fixtures/models/tiny-llm', import.meta.url));
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as {
  prompt_ids: number[];
  state_token_ids: number[];
  state_probabilities: number[];
};
const GREEDY = { doSample: false, repetitionPenalty: 1 };

function load(stateTokens?: string[], maxNewTokens = 64): Promise<ChatEngine> {
  return ChatEngine.load({ dir: DIR, maxNewTokens, sampling: GREEDY, threads: 1, ...(stateTokens ? { stateTokens } : {}) });
}

const history: ChatMessage[] = [
  { role: 'user', content: [{ type: 'text', text: 'What is the weather like in Paris?' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'It is sunny.' }] },
];

test('state-token probabilities from one prefill equal the torch golden and sum to one', async () => {
  const engine = await load(['1', '2', '3']);
  assert.deepEqual([...engine.stateTokens.ids], expected.state_token_ids);
  const p = await engine.stateProbabilities(engine.runner.newContext(), { ids: expected.prompt_ids });
  assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(p[i]! - expected.state_probabilities[i]!) < 1e-5, `p[${i}]`);
  await engine.close();
});

test('classify() reads the first reply token of the monitor prompt and matches a full forward pass', async () => {
  const engine = await load(['1', '2', '3']);
  const instance = new EmbeddedChatInstance('m', engine);
  const request: MonitorRequest = { transcript: 'Can you hear me?', history };
  const decision = await instance.classify(request);
  const { query, noise, text } = decision.probabilities;
  assert.ok(Math.abs(query + noise + text - 1) < 1e-12);
  // Reference: the whole prompt in one run without cache, full-vocabulary logits of the last position.
  const input = await engine.promptInput(monitorPrompt(request, engine.stateTokens, false));
  const vocab = engine.runner.vocabSize;
  const full = await engine.runner.fullLogits(input.ids);
  const last = full.subarray((input.ids.length - 1) * vocab);
  const [a, b, c] = engine.stateTokens.ids.map((id) => last[id]!);
  const m = Math.max(a!, b!, c!);
  const e = [a!, b!, c!].map((v) => Math.exp(v - m));
  const s = e[0]! + e[1]! + e[2]!;
  assert.ok(Math.abs(query - e[0]! / s) < 1e-5);
  assert.ok(Math.abs(noise - e[1]! / s) < 1e-5);
  assert.ok(Math.abs(text - e[2]! / s) < 1e-5);
  const best = (['query', 'noise', 'text'] as const).reduce((x, y) => (decision.probabilities[y] > decision.probabilities[x] ? y : x));
  assert.equal(decision.token, best);
  // The instructions are cached: a second utterance prefills only what changed.
  const runsBefore = instance.contexts.monitor.runs;
  const again = await instance.classify({ transcript: 'Turn on the lights.', history });
  const fresh = await new EmbeddedChatInstance('f', engine).classify({ transcript: 'Turn on the lights.', history });
  assert.ok(instance.contexts.monitor.runs - runsBefore < Math.ceil(input.ids.length / 64) + 1);
  assert.ok(Math.abs(again.probabilities.query - fresh.probabilities.query) < 1e-5);
  await engine.close();
});

test('state-token strings: colliding first tokens are rejected, multi-token strings use their first token', async () => {
  await assert.rejects(load(['<1>', '<2>', '<3>']), (err: unknown) => isEmbeddedModelError(err) && err.code === 'state_tokens_invalid');
  const defaults = await load();
  assert.deepEqual(defaults.stateTokens.strings, ['1', '2', '3'], 'no single-token <1>/<2>/<3> here: plain digits');
  await defaults.close();
  const words = await load(['answer', 'ignore', 'typed']);
  const firsts = ['answer', 'ignore', 'typed'].map((w) => words.tokenizer.encode(w, { add_special_tokens: false })[0]);
  assert.deepEqual([...words.stateTokens.ids], firsts);
  assert.equal(words.stateTokens.singleToken, false);
  const p = await words.stateProbabilities(words.runner.newContext(), { ids: expected.prompt_ids });
  assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
  await words.close();
});

test('speech without a transcript is not classified (no fake decision)', async () => {
  const engine = await load();
  const instance = new EmbeddedChatInstance('m', engine);
  const segment = { samples: new Float32Array(1600), sampleRate: 16000 as const, startMs: 0, endMs: 100 };
  await assert.rejects(instance.classify({ segment, history }), (err: unknown) => isEmbeddedModelError(err) && err.code === 'transcript_required');
  await assert.rejects(instance.classify({ transcript: 'hi', history, signal: AbortSignal.abort() }), { name: 'AbortError' });
  await engine.close();
});

test('the monitor decides while the other instance is generating, between two of its decode steps', async () => {
  const engine = await load(['1', '2', '3'], 400);
  const generator = new EmbeddedChatInstance('g', engine);
  const monitor = new EmbeddedChatInstance('m', engine);
  const controller = new AbortController();
  const genCtx = generator.contexts.generator;
  let stepsAtCall = -1;
  let stepsAtDecision = -1;
  let deltasAfterDecision = 0;
  let decision: Promise<unknown> | null = null;
  for await (const event of generator.generate({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Tell me a joke about cats.' }] }],
    temperature: 0,
    signal: controller.signal,
  })) {
    if (event.type !== 'delta') continue;
    if (decision === null && genCtx.runs >= 3) {
      stepsAtCall = genCtx.runs;
      decision = monitor.classify({ transcript: 'Can you hear me?', history }).then((d) => {
        stepsAtDecision = genCtx.runs;
        return d;
      });
    }
    if (stepsAtDecision >= 0 && ++deltasAfterDecision >= 5) controller.abort();
  }
  assert.ok(decision !== null, 'the generation reached its third step');
  await decision;
  assert.ok(stepsAtDecision >= 0 && deltasAfterDecision >= 1, 'the decision came while the answer was still streaming');
  assert.ok(stepsAtDecision - stepsAtCall <= 1, `the decision waited ${stepsAtDecision - stepsAtCall} generator steps`);
  await engine.close();
});

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

test('incomplete (<4>): the plain fourth string 4 is read from the same prefill when asked for, with its instruction; not otherwise', async () => {
  const engine = await load();
  const four = engine.tokenizer.encode('4', { add_special_tokens: false });
  assert.deepEqual(engine.stateTokens.incomplete, { string: '4', id: four[0] }, 'next to 1/2/3 the fourth is 4, one token here');
  const instance = new EmbeddedChatInstance('m', engine);
  const request: MonitorRequest = { transcript: 'I would like to know', history, allowIncomplete: true };
  const decision = await instance.classify(request);
  const p = decision.probabilities;
  assert.ok(p.incomplete !== undefined);
  assert.ok(Math.abs(p.query + p.noise + p.text + p.incomplete - 1) < 1e-12);
  // Reference: a full forward pass of the prompt that defines 4, softmax over the four ids.
  const input = await engine.promptInput(monitorPrompt(request, engine.stateTokens, false, 0, true));
  const text = engine.tokenizer.decode([...input.ids]);
  assert.match(text, /4 if the user stopped in the middle of a sentence/);
  const vocab = engine.runner.vocabSize;
  const last = (await engine.runner.fullLogits(input.ids)).subarray((input.ids.length - 1) * vocab);
  const logits = [...engine.stateTokens.ids, engine.stateTokens.incomplete!.id].map((id) => last[id]!);
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  for (const [i, key] of (['query', 'noise', 'text', 'incomplete'] as const).entries()) assert.ok(Math.abs(p[key]! - e[i]! / s) < 1e-5, key);
  const best = (['query', 'noise', 'text', 'incomplete'] as const).reduce((x, y) => (p[y]! > p[x]! ? y : x));
  assert.equal(decision.token, best);
  // Not asked: three outcomes and the three-line instructions.
  const plain = await instance.classify({ transcript: 'I would like to know', history });
  assert.equal(plain.probabilities.incomplete, undefined);
  assert.doesNotMatch(engine.tokenizer.decode([...(await engine.promptInput(monitorPrompt({ transcript: "x", history }, engine.stateTokens, false))).ids]), /4 if the user/);
  await engine.close();
});

test('incomplete: a configured fourth string is read by its first token; one colliding with the others is refused', async () => {
  const words = await load(['answer', 'ignore', 'typed', 'wait']);
  assert.deepEqual(words.stateTokens.incomplete, { string: 'wait', id: words.tokenizer.encode('wait', { add_special_tokens: false })[0] });
  await words.close();
  await assert.rejects(load(['answer', 'ignore', 'typed', 'answering']), (err: unknown) => isEmbeddedModelError(err) && err.code === 'state_tokens_invalid');
  const custom = await load(['answer', 'ignore', 'typed']);
  assert.equal(custom.stateTokens.incomplete, null, 'other strings have no default fourth');
  await custom.close();
});

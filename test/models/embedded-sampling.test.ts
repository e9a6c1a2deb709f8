import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer } from '@huggingface/transformers';
import { Sampler, argmax, type SamplingConfig } from '../../models/embedded/chat/sampler.js';
import { ByteTableStream, WindowedDecodeStream, loadByteTable } from '../../models/embedded/chat/text-stream.js';
import { floatToHalf, halfToFloat } from '../../models/embedded/chat/half.js';

const DIR = fileURLToPath(new URL('../fixtures/models/tiny-llm', import.meta.url));
const base: SamplingConfig = { doSample: true, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, seed: 7 };

test('greedy picks the argmax; the repetition penalty works as in Hugging Face', () => {
  const greedy = new Sampler(4, { ...base, doSample: false, repetitionPenalty: 2 });
  greedy.reset([1]);
  const logits = new Float32Array([0.5, 2, -1, 1.5]);
  assert.equal(greedy.pick(logits), 3, 'token 1 (2.0) is penalised to 1.0, below token 3 (1.5)');
  assert.deepEqual([...logits], [0.5, 1, -1, 1.5]);
  greedy.observe(2);
  const again = new Float32Array([0, 0, -1, 0]);
  greedy.pick(again);
  assert.equal(again[2], -2, 'negative logits are multiplied');
  assert.equal(argmax([1, 5, 5, 2]), 1, 'ties go to the lower id');
});

test('seeded sampling is reproducible and follows the softmax', () => {
  const draw = (config: SamplingConfig, logits: number[], n: number) => {
    const sampler = new Sampler(logits.length, config);
    const counts = new Array(logits.length).fill(0);
    for (let i = 0; i < n; i++) counts[sampler.pick(Float32Array.from(logits))]++;
    return counts;
  };
  const a = draw(base, [0, Math.log(3)], 4000);
  assert.deepEqual(a, draw(base, [0, Math.log(3)], 4000), 'same seed, same draws');
  assert.ok(Math.abs(a[1] / 4000 - 0.75) < 0.03, `token 1 drawn ${a[1]} of 4000 times (p = 0.75)`);
  assert.deepEqual(draw({ ...base, topK: 1 }, [0, 1, 3, 2], 50), [0, 0, 50, 0], 'top-k 1 is greedy');
  assert.deepEqual(draw({ ...base, topP: 0.5 }, [0, 5, 0, 0], 200), [0, 200, 0, 0], 'top-p keeps the 0.95 token only');
  const cold = draw({ ...base, temperature: 0.1 }, [0, 1], 1000);
  assert.ok(cold[1]! > 990, 'a low temperature sharpens the distribution');
});

test('streamed text never splits a UTF-8 character and equals decode()', async () => {
  const tokenizer = await AutoTokenizer.from_pretrained(DIR, { local_files_only: true });
  const text = 'Café — naïve 日本 ok <|im_end|>done';
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  const table = loadByteTable(DIR);
  assert.ok(table, 'a byte-level BPE tokenizer');
  for (const stream of [new ByteTableStream(table), new WindowedDecodeStream(tokenizer)]) {
    const pieces = ids.map((id) => stream.push(id));
    const out = pieces.join('') + stream.flush();
    assert.equal(out, tokenizer.decode(ids, { skip_special_tokens: true }));
    assert.ok(!pieces.some((p) => p.includes('\uFFFD')));
    assert.ok(pieces.includes(''), 'multi-byte characters are held back until complete');
  }
});

test('float16 conversion round-trips', () => {
  for (const v of [0, 1, -2.5, 65504, 1e-5, 0.333251953125]) assert.ok(Math.abs(halfToFloat(floatToHalf(v)) - v) <= Math.abs(v) * 1e-3 + 1e-7, String(v));
  assert.equal(halfToFloat(0x7c00), Infinity);
});

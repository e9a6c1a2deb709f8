import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { ChatEngine } from '../../models/embedded/chat/chat-engine.js';
import { EmbeddedChatInstance } from '../../models/embedded/chat/chat-instance.js';
import { chatPrompt } from '../../models/embedded/chat/prompt.js';
import type { GenerateRequest, ImageInput } from '../../models/types.js';

const DIR = fileURLToPath(new URL('../fixtures/models/tiny-vlm', import.meta.url));
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as { frames: number; prompt_ids: number[]; greedy_ids: number[]; image_seq_len: number };
const GREEDY = { doSample: false, repetitionPenalty: 1 };
const SIZE = 32;

/** The Python script's golden_pixels(frames): sin(0.3x + 0.17y + 1.1c + 0.7f), shape [1, frames, 3, 32, 32]. */
function goldenPixels(frames: number): ort.Tensor {
  const data = new Float32Array(frames * 3 * SIZE * SIZE);
  let i = 0;
  for (let f = 0; f < frames; f++)
    for (let c = 0; c < 3; c++) for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) data[i++] = Math.sin(0.3 * x + 0.17 * y + 1.1 * c + 0.7 * f);
  return new ort.Tensor('float32', data, [1, frames, 3, SIZE, SIZE]);
}

async function png(width: number, height: number, seed: number): Promise<ImageInput> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37 + seed * 101 + ((i / 3) | 0) * seed) & 255;
  const bytes = await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return { mimeType: 'image/png', bytes: new Uint8Array(bytes), width, height };
}

async function answer(instance: EmbeddedChatInstance, request: Omit<GenerateRequest, 'signal'>): Promise<string> {
  let text = '';
  for await (const e of instance.generate({ ...request, signal: new AbortController().signal })) if (e.type === 'delta') text += e.text;
  return text;
}

test('the SmolVLM loading path reads the fixture: image features spliced at <image> positions give the torch golden', async () => {
  const engine = await ChatEngine.load({ dir: DIR, maxNewTokens: 32, sampling: GREEDY, threads: 1 });
  assert.equal(engine.vision, true);
  const pixels = goldenPixels(expected.frames);
  const mask = new ort.Tensor('bool', new Uint8Array(expected.frames * SIZE * SIZE).fill(1), [1, expected.frames, SIZE, SIZE]);
  const ids: number[] = [];
  for await (const id of engine.generateIds(engine.runner.newContext(), { ids: expected.prompt_ids, pixelValues: pixels, pixelMask: mask }, { maxNewTokens: expected.greedy_ids.length })) ids.push(id);
  assert.deepEqual(ids, expected.greedy_ids);
  await engine.close();
});

test('images attached to the query reach the generator (and history images are dropped)', async () => {
  const engine = await ChatEngine.load({ dir: DIR, maxNewTokens: 12, sampling: GREEDY, threads: 1 });
  const instance = new EmbeddedChatInstance('v', engine);
  const first = await png(64, 48, 1);
  const second = await png(64, 48, 2);
  const query = (image: ImageInput): Omit<GenerateRequest, 'signal'> => ({
    messages: [
      { role: 'user', content: [{ type: 'image', image: second }, { type: 'text', text: 'And this?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'A square.' }] },
      { role: 'user', content: [{ type: 'image', image }, { type: 'text', text: 'What do you see in this picture?' }] },
    ],
    temperature: 0,
  });
  const prompt = chatPrompt({ ...query(first), signal: new AbortController().signal }, true);
  assert.deepEqual(prompt.images, [first], 'only the last message keeps its image');
  const input = await engine.promptInput(prompt);
  const imageTokens = input.ids.filter((id) => id === engine.runner.vlm!.imageTokenId).length;
  const frames = input.pixelValues!.dims[1]!;
  assert.ok(frames >= 2, 'a 64x48 image is split into tiles plus a global view');
  assert.equal(imageTokens, frames * expected.image_seq_len);
  const withFirst = await answer(instance, query(first));
  const again = await answer(instance, query(first));
  const withSecond = await answer(instance, query(second));
  assert.equal(withFirst, again, 'greedy decoding is deterministic (and the image cache is not reused wrongly)');
  assert.notEqual(withFirst, withSecond, 'the image changes the answer');
  // The same VLM also monitors (text-only prompt, images of history dropped).
  const decision = await instance.classify({ transcript: 'What is this?', history: query(first).messages });
  const sum = decision.probabilities.query + decision.probabilities.noise + decision.probabilities.text;
  assert.ok(Math.abs(sum - 1) < 1e-12);
  await engine.close();
});

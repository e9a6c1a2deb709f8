// npm run bench:models [-- --model DIR] [--tokens N] [--reps N] [--threads N]
//
// On the committed tiny LLM fixture by default (any decoder-only ONNX export with --model):
//  1. decode tokens/s through Duet's generator (calling thread, and through the inference
//     worker) against a bare onnxruntime decode loop on the same model in the same run;
//  2. the monitor's decision (one prefill, cold and with its cached instructions) against the
//     time of one decode step;
//  3. memory: one instance, two instances sharing the weights, two separate engines.
// Ratios matter; absolute numbers depend on the machine.

import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { ChatEngine } from '../../models/embedded/chat/chat-engine.js';
import { EmbeddedChatInstance } from '../../models/embedded/chat/chat-instance.js';
import { sessionOptions } from '../../models/embedded/chat/decoder-graph.js';
import { onnxFile } from '../../models/embedded/model-dir.js';
import { argmax } from '../../models/embedded/chat/sampler.js';
import { createEmbeddedChat } from '../../models/embedded/model-set.js';
import type { GenerationStats, ModelInstance } from '../../models/types.js';
import { machineInfo, writeResults } from './load/report.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const DIR = arg('--model', fileURLToPath(new URL('../../test/fixtures/models/tiny-llm', import.meta.url)));
const TOKENS = Number(arg('--tokens', '400'));
const REPS = Number(arg('--reps', '9'));
const THREADS = Number(arg('--threads', '1'));
const GREEDY = { doSample: false, repetitionPenalty: 1 };
const PROMPT = 'Tell me a joke about cats.';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** The baseline: prompt ids in, argmax, feed back; the tight loop one would write by hand with onnxruntime-node. */
async function bareDecode(session: ort.InferenceSession, promptIds: readonly number[], tokens: number, vocab: number): Promise<number> {
  const kvNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const presentNames = kvNames.map((n) => n.replace('past_key_values', 'present'));
  const meta = new Map(session.inputMetadata.map((m) => [m.name, m]));
  let past: ort.Tensor[] = kvNames.map((n) => {
    const shape = (meta.get(n) as ort.InferenceSession.TensorValueMetadata).shape;
    return new ort.Tensor('float32', new Float32Array(0), [1, shape[1] as number, 0, shape[3] as number]);
  });
  const ones = new BigInt64Array(promptIds.length + tokens).fill(1n);
  const run = async (ids: BigInt64Array, start: number) => {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [1, ids.length]),
      attention_mask: new ort.Tensor('int64', ones.subarray(0, start + ids.length), [1, start + ids.length]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(start + i)), [1, ids.length]),
    };
    for (let i = 0; i < kvNames.length; i++) feeds[kvNames[i]!] = past[i]!;
    const out = await session.run(feeds);
    past = presentNames.map((n) => out[n] as ort.Tensor);
    const logits = out.logits!.data as Float32Array;
    return argmax(logits.subarray(logits.length - vocab));
  };
  let next = await run(BigInt64Array.from(promptIds, BigInt), 0);
  let pos = promptIds.length;
  const step = new BigInt64Array(1);
  const t0 = performance.now();
  for (let i = 1; i < tokens; i++) {
    step[0] = BigInt(next);
    next = await run(step, pos++);
  }
  return ((tokens - 1) * 1000) / (performance.now() - t0);
}

async function duetDecode(instance: ModelInstance, tokens: number): Promise<GenerationStats> {
  let stats: GenerationStats | null = null;
  for await (const e of instance.generate({ messages: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }], maxOutputTokens: tokens, temperature: 0, signal: new AbortController().signal })) {
    if (e.type === 'done') stats = e.stats;
  }
  if (!stats || stats.tokens < tokens) throw new Error(`the generator stopped after ${stats?.tokens} tokens (eos); use a larger --tokens budget or another prompt`);
  return stats;
}

function rssMb(): number {
  return process.memoryUsage().rss / 1e6;
}

async function main(): Promise<void> {
  console.log(`model ${DIR}, ${TOKENS} tokens, ${REPS} reps, ${THREADS} intra-op thread(s)`);
  const engine = await ChatEngine.load({ dir: DIR, maxNewTokens: TOKENS, sampling: GREEDY, threads: THREADS, stateTokens: ['1', '2', '3'] });
  const instance = new EmbeddedChatInstance('bench', engine);
  const bare = await ort.InferenceSession.create(onnxFile(DIR, 'model'), sessionOptions(THREADS));
  const prompt = await engine.promptInput({ messages: [{ role: 'user', content: PROMPT }], images: [] });
  const worker = await createEmbeddedChat(
    { cacheDir: '.', chat: { kind: 'embedded', model: DIR, maxNewTokens: TOKENS, threadsPerInstance: THREADS }, asr: null, tts: null },
    { info: () => {}, error: () => {} } as never,
  );

  // 1. decode speed, interleaved so drift hits all three alike. Wall-clock decode speed is what
  // users see but swings on a shared machine; CPU time of the whole call (prefill included, all
  // threads of this process) is steadier, so both are reported.
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const wall = { bare: [] as number[], duet: [] as number[], worker: [] as number[] };
  const cpu = { bare: [] as number[], duet: [] as number[], worker: [] as number[] };
  await duetDecode(instance, TOKENS); // warm-up
  await duetDecode(worker.instances[0], TOKENS);
  await bareDecode(bare, prompt.ids, TOKENS, engine.runner.vocabSize);
  for (let r = 0; r < REPS; r++) {
    let c = cpuMs();
    wall.bare.push(await bareDecode(bare, prompt.ids, TOKENS, engine.runner.vocabSize));
    cpu.bare.push((TOKENS * 1000) / (cpuMs() - c));
    c = cpuMs();
    wall.duet.push((await duetDecode(instance, TOKENS)).tokensPerSecond!);
    cpu.duet.push((TOKENS * 1000) / (cpuMs() - c));
    c = cpuMs();
    wall.worker.push((await duetDecode(worker.instances[0], TOKENS)).tokensPerSecond!);
    cpu.worker.push((TOKENS * 1000) / (cpuMs() - c));
  }
  // Ratios of back-to-back runs are steadier than ratios of medians on a shared machine.
  const ratio = (xs: number[], base: number[]) => median(xs.map((x, i) => x / base[i]!)).toFixed(3);
  console.log('\n1. decode speed (medians; ratios = median of per-rep ratios to the bare loop; target >= 0.95)');
  console.log('                                 wall tok/s  ratio   tok per CPU-s  ratio');
  const row = (name: string, key: 'bare' | 'duet' | 'worker') =>
    console.log(`   ${name.padEnd(29)}${median(wall[key]).toFixed(0).padStart(10)}  ${ratio(wall[key], wall.bare)}  ${median(cpu[key]).toFixed(0).padStart(13)}  ${ratio(cpu[key], cpu.bare)}`);
  row('bare onnxruntime loop', 'bare');
  row('Duet generator (this thread)', 'duet');
  row('Duet generator (worker)', 'worker');
  const duetRates = wall.duet;

  // 2. monitor decision vs one decode step
  const stepMs = 1000 / median(duetRates);
  const history = [
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'What is the weather like in Paris?' }] },
    { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'It is sunny and warm today.' }] },
  ];
  const cold: number[] = [];
  const warm: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const fresh = new EmbeddedChatInstance(`m${r}`, engine);
    cold.push((await fresh.classify({ transcript: 'Can you hear me?', history })).elapsedMs);
    warm.push((await fresh.classify({ transcript: 'Turn on the lights, please.', history })).elapsedMs);
  }
  console.log('\n2. monitor decision (one prefill, no generation)');
  console.log(`   one decode step                 ${stepMs.toFixed(3)} ms`);
  console.log(`   decision, cold cache            ${median(cold).toFixed(3)} ms  = ${(median(cold) / stepMs).toFixed(1)} decode steps`);
  console.log(`   decision, instructions cached   ${median(warm).toFixed(3)} ms  = ${(median(warm) / stepMs).toFixed(1)} decode steps`);

  // 3. memory
  const rss0 = rssMb();
  const probeEngine = await ChatEngine.load({ dir: DIR, maxNewTokens: TOKENS, sampling: GREEDY, threads: THREADS });
  const rssEngine = rssMb();
  const one = new EmbeddedChatInstance('one', probeEngine);
  await duetDecode(one, TOKENS);
  const two = new EmbeddedChatInstance('two', probeEngine);
  await duetDecode(two, TOKENS);
  const separate = await ChatEngine.load({ dir: DIR, maxNewTokens: TOKENS, sampling: GREEDY, threads: THREADS });
  const rssSeparate = rssMb();
  console.log('\n3. memory');
  console.log(`   ONNX weights (shared by both instances)      ${(probeEngine.weightsBytes / 1e6).toFixed(3)} MB`);
  console.log(`   one instance after ${TOKENS} tokens (KV + logits) ${(one.memoryBytes() / 1e6).toFixed(3)} MB`);
  console.log(`   two instances sharing one session            ${((one.memoryBytes() + two.memoryBytes()) / 1e6).toFixed(3)} MB + weights once`);
  console.log(`   RSS: +${(rssEngine - rss0).toFixed(1)} MB for a loaded engine (session, tokenizer); a second engine instead of sharing: +${(rssSeparate - rssEngine).toFixed(1)} MB more (incl. two instances' caches)`);

  const result = {
    machine: machineInfo(),
    tokens: TOKENS,
    reps: REPS,
    decode: {
      wallTokensPerSecond: { bare: median(wall.bare), duet: median(wall.duet), worker: median(wall.worker) },
      cpuTokensPerSecond: { bare: median(cpu.bare), duet: median(cpu.duet), worker: median(cpu.worker) },
      wallRatioToBare: { duet: Number(ratio(wall.duet, wall.bare)), worker: Number(ratio(wall.worker, wall.bare)) },
      cpuRatioToBare: { duet: Number(ratio(cpu.duet, cpu.bare)), worker: Number(ratio(cpu.worker, cpu.bare)) },
    },
    monitor: { stepMs, coldMs: median(cold), warmMs: median(warm) },
    memory: {
      weightsMb: probeEngine.weightsBytes / 1e6,
      oneInstanceMb: one.memoryBytes() / 1e6,
      rssEngineMb: rssEngine - rss0,
      rssSecondEngineMb: rssSeparate - rssEngine,
    },
  };
  console.log(`
wrote ${writeResults('models', result)}`);

  await separate.close();
  await probeEngine.close();
  await worker.close();
  await engine.close();
  await bare.release();
}

await main();

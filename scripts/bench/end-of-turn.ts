// `npm run bench:end-of-turn`: pause takeover and response latency with the end-of-turn layer,
// through the real socket and the real front-end (Silero VAD + whisper Mel), scripted models with
// stated latencies (monitor decision 80 ms, first token 300 ms, then 20 ms a token).
//
// One utterance per trial, streamed in real time in 20 ms chunks: "Set a timer" <700 ms pause>
// "for ten minutes." (test/fixtures/speech/pause-within-turn.wav, its 300 ms pause widened with
// its own noise floor), then silence. Per configuration:
//   takeover: a response was created before the user finished (the pause was taken as the end);
//   latency:  end of the user's speech -> first output delta of the answer to the whole turn
//             (text output: first text delta; TTS adds its own first-chunk time).
// The barge-in rows: a text question's long answer is streaming, and the user says "Set a timer"
// over it (the recording's first phrase alone); latency is from the end of that speech to the first
// delta of the answer to it.
// A fresh session per trial; trials run one after another. Prints a table; writes
// bench-results/end-of-turn.json. Options: --trials N (default 2), --rows TEXT (only the rows whose
// name contains it; skips the thread table).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import wav from 'node-wav';
import WebSocket from 'ws';
import { buildApp } from '../../server/app.js';
import { scriptedModelSet, type Script } from '../../models/scripted/index.js';
import type { EndOfTurnModel } from '../../models/types.js';
import { resolveConfig } from '../../server/config/load.js';
import { printTable, writeResults } from './load/report.js';
import { concat } from '../../test/support/speech.js';
import { runEndOfTurnThreadBench } from './end-of-turn-thread.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHUNK_MS = 20;
const MONITOR_MS = 80;
const FIRST_TOKEN_MS = 300;
const TOKEN_MS = 20;
const SILENCE_MS = 500;
const WIDEN_PAUSE_MS = 400;
/** The simulated end-of-turn model's time per call (Smart Turn v3: 10-65 ms on a CPU core, by its publishers). */
const ORACLE_MS = 15;
/** The text question whose answer the barge-in rows interrupt, and that answer (about 4 s of tokens). */
const LONG_QUESTION = 'Tell me a long story.';
const LONG_ANSWER = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');

/**
 * A simulated end-of-turn model that decides right on this utterance: complete only once the
 * speech heard covers both pieces (more than 1.8 s of features; the first piece is about 1.1 s).
 */
function oracleModel(): EndOfTurnModel {
  return {
    id: 'oracle',
    accepts: (mel) => mel.preset === 'whisper',
    predict: async (mel) => {
      await sleep(ORACLE_MS);
      return { probability: mel.frames > 180 ? 0.95 : 0.05, elapsedMs: ORACLE_MS };
    },
    close: async () => {},
  };
}

interface Row {
  name: string;
  turns: Record<string, unknown>;
  decisions: ('<1>' | '<4>')[];
  oracle?: boolean;
  /** The speech interrupts a streaming answer (bargeInAudio, not trialAudio). */
  bargeIn?: boolean;
}

interface Trial {
  takeover: boolean;
  latencyMs: number | null;
  held: number;
}

/** The recording, its speech intervals, and filler made of its own noise floor. */
function recording() {
  const source = wav.decode(readFileSync(path.join(ROOT, 'test/fixtures/speech/pause-within-turn.wav'))).channelData[0]!;
  const truth = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/speech/pause-within-turn.json'), 'utf8')) as { speech: { onsetMs: number; offsetMs: number }[] };
  const [first, second] = truth.speech as [{ onsetMs: number; offsetMs: number }, { onsetMs: number; offsetMs: number }];
  const at = (ms: number) => Math.round(ms * 16);
  const floor = source.subarray(0, at(first.onsetMs - 100)); // noise floor before any speech
  const filler = (ms: number): Float32Array => {
    const out = new Float32Array(at(ms));
    for (let i = 0; i < out.length; i++) out[i] = floor[i % floor.length]!;
    return out;
  };
  return { source, first, second, at, filler };
}

/** The trial audio (16 kHz) and where the speech ends in it. */
function trialAudio(): { samples: Float32Array; speechEndMs: number } {
  const { source, first, second, at, filler } = recording();
  const mid = (first.offsetMs + second.onsetMs) / 2;
  const samples = concat(source.subarray(at(300), at(mid)), filler(WIDEN_PAUSE_MS), source.subarray(at(mid), at(second.offsetMs + 50)), filler(1200));
  return { samples, speechEndMs: second.offsetMs - 300 + WIDEN_PAUSE_MS };
}

/** A barge-in: the recording's first phrase alone ("Set a timer"), then silence. */
function bargeInAudio(): { samples: Float32Array; speechEndMs: number } {
  const { source, first, at, filler } = recording();
  return { samples: concat(source.subarray(at(300), at(first.offsetMs + 50)), filler(1500)), speechEndMs: first.offsetMs - 300 };
}

function pcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32767))), i * 2);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** `bargeIn`: a text question's long answer is streaming when the speech starts (the speech interrupts it). */
async function runTrial(wsUrl: string, audio: { samples: Float32Array; speechEndMs: number }, bargeIn = false): Promise<Trial> {
  const ws = new WebSocket(`${wsUrl}?model=duet`, 'realtime');
  const events: { type: string; at: number; responseId?: string }[] = [];
  ws.on('message', (data) => {
    const e = JSON.parse(data.toString()) as { type: string; response?: { id: string }; response_id?: string };
    events.push({ type: e.type, at: performance.now(), ...(e.response?.id ? { responseId: e.response.id } : e.response_id ? { responseId: e.response_id } : {}) });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } }));
  await sleep(50);
  if (bargeIn) {
    ws.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: LONG_QUESTION }] } }));
    ws.send(JSON.stringify({ type: 'response.create' }));
    while (!events.some((e) => e.type === 'response.output_text.delta')) await sleep(5);
  }
  const bytes = pcm16(audio.samples);
  const chunkBytes = CHUNK_MS * 16 * 2;
  const t0 = performance.now();
  for (let i = 0, n = 0; i < bytes.length; i += chunkBytes, n++) {
    await sleep(t0 + n * CHUNK_MS - performance.now());
    ws.send(bytes.subarray(i, i + chunkBytes));
  }
  const speechEndAt = t0 + audio.speechEndMs;
  // The answer to the whole turn: created after the speech ended; wait for its first delta.
  const deadline = performance.now() + 5000;
  const answer = () => {
    const created = events.find((e) => e.type === 'response.created' && e.at > speechEndAt);
    return created && events.find((e) => e.type === 'response.output_text.delta' && e.responseId === created.responseId);
  };
  while (!answer() && performance.now() < deadline) await sleep(10);
  const first = answer();
  ws.close();
  await sleep(50);
  return {
    takeover: events.some((e) => e.type === 'response.created' && e.at > t0 && e.at < speechEndAt),
    latencyMs: first ? Math.round(first.at - speechEndAt) : null,
    held: events.filter((e) => e.type === 'duet.turn.held').length,
  };
}

async function runRow(row: Row, trials: number, audio: ReturnType<typeof trialAudio>) {
  const script: Script = {
    replies: [{ text: LONG_ANSWER, when: LONG_QUESTION }, { text: 'Your timer for ten minutes starts now.' }],
    tokenDelayMs: TOKEN_MS,
    firstTokenDelayMs: FIRST_TOKEN_MS,
    decisionDelayMs: MONITOR_MS,
    decisions: Array.from({ length: trials }, () => row.decisions).flat(),
    rules: [],
  };
  const models = scriptedModelSet(script);
  if (row.oracle) models.endOfTurn = oracleModel();
  const config = resolveConfig({
    server: { logLevel: 'silent' },
    audio: { vad: { silenceDurationMs: SILENCE_MS } },
    scheduler: { echoGuardMs: 0 },
    turns: row.turns,
  });
  const built = await buildApp(config, { models });
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = built.app.server.address() as AddressInfo;
  const results: Trial[] = [];
  try {
    for (let i = 0; i < trials; i++) results.push(await runTrial(`ws://127.0.0.1:${port}/v1/realtime`, row.bargeIn ? bargeInAudio() : audio, row.bargeIn));
  } finally {
    await built.shutdown('bench_end');
  }
  const value = async (c: { get(): Promise<{ values: { value: number }[] }> }) => (await c.get()).values[0]?.value ?? 0;
  const latencies = results.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs]));
  return {
    name: row.name,
    trials,
    takeoverRate: results.filter((r) => r.takeover).length / trials,
    latencyMs: latencies,
    meanLatencyMs: latencies.length ? Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length) : null,
    held: results.reduce((n, r) => n + r.held, 0),
    speculativeStarts: await value(built.metrics.speculativeStarts),
    speculativeUsed: await value(built.metrics.speculativeUsed),
    speculativeDiscardedMs: Math.round(await value(built.metrics.speculativeDiscardedMs)),
  };
}

async function main(): Promise<void> {
  const trialsArg = process.argv.indexOf('--trials');
  const trials = trialsArg > 0 ? Number(process.argv[trialsArg + 1]) : 2;
  const audio = trialAudio();
  const model = path.join(ROOT, 'test/fixtures/models/tiny-smart-turn/model.onnx');
  const rows: Row[] = [
    { name: 'silence timer only', turns: { speculative: false }, decisions: ['<1>'] },
    { name: 'silence timer, speculative', turns: { speculative: true }, decisions: ['<1>'] },
    // The fixture's decisions mean nothing: only its loading, cost and plumbing are real here.
    { name: 'end-of-turn model (fixture)', turns: { endOfTurn: ['model', 'silence'], modelPath: model, speculative: false }, decisions: ['<1>'] },
    { name: `end-of-turn model (right, ${ORACLE_MS} ms)`, turns: { endOfTurn: ['model', 'silence'], speculative: false }, decisions: ['<1>'], oracle: true },
    { name: `end-of-turn model (right), speculative (auto, the default)`, turns: { endOfTurn: ['model', 'silence'] }, decisions: ['<1>'], oracle: true },
    { name: `... same, judged at a 100 ms pause`, turns: { endOfTurn: ['model', 'silence'], speculative: true, speculativePauseMs: 100 }, decisions: ['<1>'], oracle: true },
    { name: 'monitor incomplete (scripted)', turns: { endOfTurn: ['monitor', 'silence'], speculative: false }, decisions: ['<4>', '<1>'] },
    { name: 'monitor incomplete, speculative', turns: { endOfTurn: ['monitor', 'silence'], speculative: true }, decisions: ['<4>', '<1>'] },
    // "Set a timer" over a streaming answer: the answer pauses; at the short pause the monitor
    // judges the speech early, and with speculative starts the answer to it is prepared too.
    { name: 'barge-in over an answer', turns: { speculative: false }, decisions: ['<1>'], bargeIn: true },
    { name: 'barge-in over an answer, speculative', turns: { speculative: true }, decisions: ['<1>'], bargeIn: true },
  ];
  const rowsArg = process.argv.indexOf('--rows');
  const only = rowsArg > 0 ? process.argv[rowsArg + 1]! : null;
  const results = [];
  for (const row of rows) if (!only || row.name.includes(only)) results.push(await runRow(row, trials, audio));
  printTable(
    `End of turn: "Set a timer" <700 ms pause> "for ten minutes." (${trials} trials each; silence timer ${SILENCE_MS} ms; simulated monitor ${MONITOR_MS} ms, first token ${FIRST_TOKEN_MS} ms, ${TOKEN_MS} ms/token; text output)`,
    ['configuration', 'pause takeover', 'latency ms (mean)', 'per trial', 'held', 'spec starts', 'spec used', 'spec discarded ms'],
    results.map((r) => [r.name, r.takeoverRate, r.meanLatencyMs, r.latencyMs.join(' / '), r.held, r.speculativeStarts, r.speculativeUsed, r.speculativeDiscardedMs]),
  );
  console.log(`target (a model that decides right): takeover 0, latency <= first token (${FIRST_TOKEN_MS} ms) + 250 ms = ${FIRST_TOKEN_MS + 250} ms`);
  const thread = only ? null : await runEndOfTurnThreadBench([10, 40], 10_000);
  if (thread) printTable(
    `Where the end-of-turn model runs: a stand-in costing ${thread.perCallMs.toFixed(1)} ms a call here, called at random pauses (one every 2 s per session) for 10 s`,
    ['thread', 'sessions', 'calls', 'loop delay p99 ms', 'loop delay max ms', 'call p50 ms', 'call p95 ms'],
    thread.rows.map((r) => [r.thread, r.sessions, r.calls, r.loopDelayP99Ms, r.loopDelayMaxMs, r.callP50Ms, r.callP95Ms]),
  );
  const file = writeResults('end-of-turn', { settings: { trials, silenceMs: SILENCE_MS, monitorMs: MONITOR_MS, firstTokenMs: FIRST_TOKEN_MS, tokenMs: TOKEN_MS, pauseMs: 700 }, results, thread });
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

await main();

// The speech output path's main-thread CPU per second of audio, for two source trees in one run:
// SpeechTrack (clauses, resampling 22.05 -> 24 kHz, PCM16 encoding, framing) -> base64 -> Outbound
// (JSON per frame, socket send). espeak-ng runs once up front; its pieces are replayed to every
// track, so only the server's own work is timed. Runs alternate between the trees, and the median
// of each is compared (after / before).
//   node --import tsx scripts/bench/conversation/output-path.ts [--baseline <other checkout>] [--seconds 60]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SpeechChunk, SpeechSynthesizer } from '../../../models/types.js';
import { createEspeakSynthesizer } from '../../../models/tts/espeak/index.js';
import { repoRoot } from '../load/speech-audio.js';

const CLAUSES = ['Sure, here is the short answer.', 'It depends on the details, but mostly yes.', 'Ask me if you want more.'];

interface Tree {
  root: string;
  SpeechTrack: new (o: Record<string, unknown>) => AsyncIterable<{ audio: Uint8Array; text: string; durationMs: number }> & { pushText(t: string): void; endText(): void };
  Outbound: new (socket: unknown, o: Record<string, unknown>) => {
    deltaTemplate(type: string, ref: Record<string, unknown>): unknown;
    sendDelta(t: unknown, delta: string, jsonSafe?: boolean): string;
  };
}

async function loadTree(root: string): Promise<Tree> {
  const from = (p: string) => import(pathToFileURL(path.join(root, p)).href);
  return { root, SpeechTrack: (await from('server/voice/speech-track.ts')).SpeechTrack, Outbound: (await from('server/realtime/outbound.ts')).Outbound };
}

function replay(recorded: Map<string, SpeechChunk[]>): SpeechSynthesizer {
  return {
    id: 'replay',
    voices: [],
    async *synthesize(request) {
      for (const piece of recorded.get(request.text) ?? []) yield piece;
    },
    close: async () => {},
  };
}

/** What ws does with a text frame: UTF-8 bytes of the string (the copy the real send makes). */
const socket = { readyState: 1, OPEN: 1, bufferedAmount: 0, sent: 0, send(payload: string) { this.sent += Buffer.byteLength(payload); } };
const metrics = { eventsOut: { inc() {} }, activeResponses: { inc() {}, dec() {} }, audioOutSeconds: { inc() {} } };

async function speakOnce(tree: Tree, tts: SpeechSynthesizer): Promise<number> {
  const outbound = new tree.Outbound(socket, { beta: false, maxQueuedBytes: 1 << 30, metrics, onOverflow() {} });
  const ref = { response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0 };
  const transcript = outbound.deltaTemplate('response.output_audio_transcript.delta', ref);
  const audio = outbound.deltaTemplate('response.output_audio.delta', ref);
  const track = new tree.SpeechTrack({ tts, format: 'audio/pcm', frameMs: 100, chunksAhead: 8 });
  for (const c of CLAUSES) track.pushText(`${c} `);
  track.endText();
  let ms = 0;
  for await (const frame of track) {
    if (frame.text) outbound.sendDelta(transcript, frame.text);
    if (frame.audio.length > 0) outbound.sendDelta(audio, Buffer.from(frame.audio.buffer, frame.audio.byteOffset, frame.audio.byteLength).toString('base64'), true);
    ms += frame.durationMs;
  }
  return ms;
}

/** CPU ms per second of audio over `seconds` of speech. */
async function measure(tree: Tree, tts: SpeechSynthesizer, seconds: number): Promise<number> {
  let audioMs = 0;
  const start = process.cpuUsage();
  while (audioMs < seconds * 1000) audioMs += await speakOnce(tree, tts);
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1000 / (audioMs / 1000);
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

export async function compareOutputPath(baselineRoot: string | null, seconds = 60, rounds = 5): Promise<Record<string, unknown>> {
  const espeak = await createEspeakSynthesizer();
  const recorded = new Map<string, SpeechChunk[]>();
  for (const c of CLAUSES) {
    const pieces: SpeechChunk[] = [];
    for await (const piece of espeak.synthesize({ text: c })) pieces.push(piece);
    recorded.set(c, pieces);
  }
  await espeak.close();
  const tts = replay(recorded);
  const trees = [await loadTree(repoRoot), ...(baselineRoot ? [await loadTree(path.resolve(baselineRoot))] : [])];
  for (const t of trees) await measure(t, tts, 5); // warm-up: JIT
  const samples = trees.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) for (let i = trees.length - 1; i >= 0; i--) samples[i]!.push(await measure(trees[i]!, tts, seconds / rounds));
  const [after, before] = samples.map(median);
  return {
    cpuMsPerAudioSecond: { this: after, ...(before !== undefined ? { baseline: before } : {}) },
    ...(before !== undefined ? { ratioThisOverBaseline: Math.round((after! / before) * 1000) / 1000 } : {}),
    samples,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const arg = (flag: string) => {
    const i = process.argv.indexOf(flag);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  console.log(JSON.stringify(await compareOutputPath(arg('--baseline') ?? null, Number(arg('--seconds') ?? 60)), null, 2));
}

// Memory after sessions close: is the external (Buffer/ArrayBuffer) high-water mark a pool or a leak?
// Runs a Duet server in a child process (started with --expose-gc, so it can be collected on
// demand) and drives rounds of sessions with speech audio against it; prints the server's
// process.memoryUsage() before, right after each round closed, and after a forced full GC.
//   node --import tsx scripts/memory-soak.ts [--sessions 40] [--rounds 3]
// A pool or allocator cache plateaus from round to round; a leak grows by about the same each round.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';

interface Usage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  sessions: number;
}

const MB = 2 ** 20;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The child: a real server (scripted answers, the real VAD and Mel front-end), driven over IPC. */
async function serve(): Promise<void> {
  const { buildApp } = await import('../server/app.js');
  const { resolveConfig } = await import('../server/config/load.js');
  const { scriptedModelSet } = await import('../models/scripted/index.js');
  const config = resolveConfig({
    server: { logLevel: 'silent', shutdownDeadlineMs: 1000 },
    limits: { maxSessions: 1000, idleTimeoutMs: 0 },
    models: { chat: null, asr: null, tts: null },
  });
  const models = scriptedModelSet({ replies: [{ text: 'Sure, here is a short answer to that.' }], tokenDelayMs: 5, decisions: ['<1>'], rules: [], decisionDelayMs: 0 });
  const built = await buildApp(config, { models });
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const usage = (): Usage => {
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, sessions: built.registry.size };
  };
  process.on('message', (m: { type: string }) => {
    if (m.type === 'usage') process.send?.({ type: 'usage', usage: usage() });
    if (m.type === 'gc') {
      // Scripted instances keep every request for tests; clear them so they are not counted.
      for (const instance of models.instances) (instance.generateCalls.length = 0), (instance.classifyCalls.length = 0);
      globalThis.gc?.();
      globalThis.gc?.();
      process.send?.({ type: 'usage', usage: usage() });
    }
    if (m.type === 'stop') void built.shutdown().then(() => process.exit(0));
  });
  process.send?.({ type: 'ready', port: (built.app.server.address() as AddressInfo).port });
}

function request(child: ChildProcess, type: 'usage' | 'gc'): Promise<Usage> {
  return new Promise((resolve) => {
    child.once('message', (m: { usage: Usage }) => resolve(m.usage));
    child.send({ type });
  });
}

/** Synthetic speech-like audio: 1.5 s voiced bursts (harmonics with a slow envelope), 0.8 s silences. */
function speechLikePcm16(seconds: number, rate = 16000): Buffer {
  const out = Buffer.alloc(seconds * rate * 2);
  for (let i = 0; i < seconds * rate; i++) {
    const t = i / rate;
    const inTurn = t % 2.3 < 1.5;
    const f0 = 140 + 30 * Math.sin(2 * Math.PI * 3 * t);
    let v = 0;
    for (let h = 1; h <= 6; h++) v += Math.sin(2 * Math.PI * f0 * h * t) / h;
    const envelope = inTurn ? 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t) : 0;
    out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, 0.25 * v * envelope + (Math.random() - 0.5) * 0.002)) * 32767), i * 2);
  }
  return out;
}

/** One session: 16 kHz PCM16 audio in 100 ms binary frames at 3x real time, answers read, then closed. */
async function session(url: string, audio: Buffer): Promise<number> {
  const ws = new WebSocket(url, ['realtime']);
  let answers = 0;
  ws.on('message', (data) => {
    if ((JSON.parse(data.toString()) as { type: string }).type === 'response.done') answers += 1;
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } }, output_modalities: ['text'] } }));
  const chunk = 3200; // 100 ms
  for (let at = 0; at < audio.length; at += chunk) {
    ws.send(audio.subarray(at, at + chunk), { binary: true });
    await new Promise((r) => setTimeout(r, 33));
  }
  await new Promise((r) => setTimeout(r, 1500)); // the last turn's answer
  ws.close();
  await new Promise((r) => ws.once('close', r));
  return answers;
}

async function main(): Promise<void> {
  const sessions = arg('sessions', 40);
  const rounds = arg('rounds', 3);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--expose-gc', '--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const url = `ws://127.0.0.1:${port}/v1/realtime`;
  const audio = speechLikePcm16(7);
  const rows: { label: string; usage: Usage }[] = [{ label: 'start, after gc', usage: await request(child, 'gc') }];
  for (let round = 1; round <= rounds; round++) {
    const answers = await Promise.all(Array.from({ length: sessions }, () => session(url, audio)));
    while ((await request(child, 'usage')).sessions > 0) await new Promise((r) => setTimeout(r, 50));
    rows.push({ label: `round ${round}: ${sessions} sessions closed (${answers.reduce((a, b) => a + b, 0)} answers)`, usage: await request(child, 'usage') });
    rows.push({ label: `round ${round}: after gc`, usage: await request(child, 'gc') });
  }
  console.log(`${'server memory (MiB)'.padEnd(52)}     rss  heapUsed  external  arrayBuffers`);
  for (const { label, usage: u } of rows) {
    const cols = [u.rss, u.heapUsed, u.external, u.arrayBuffers].map((v) => (v / MB).toFixed(1).padStart(8));
    console.log(`${label.padEnd(52)}${cols.join('  ')}`);
  }
  child.send({ type: 'stop' });
}

if (process.argv.includes('--serve')) void serve();
else void main();

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SpeechChunk } from '../../types.js';
import { EngineUnavailableError, type EngineRequest, type EspeakEngine } from './engine.js';
import { int16BytesToFloat } from './pcm.js';
import { DEFAULT_SYNTHESIZER_NICENESS, lowerPriority } from './process-priority.js';
import { WordTracker } from './word-tracker.js';

// libespeak-ng through its C API, in one long-lived Python (ctypes) worker
// process: streaming audio plus word timings from espeak's synth events. Requests
// from all sessions queue in the worker (espeak has one global synthesizer); at
// ~1000x real time that queue is never the bottleneck. A cancel reaches the
// worker's next audio callback (one 100 ms buffer of synthesis, well under 1 ms).

const WORKER_PATH = fileURLToPath(new URL('./libespeak_worker.py', import.meta.url));
const HEADER_BYTES = 12;
const enum Kind {
  Ready = 0,
  Audio = 1,
  Word = 2,
  Clause = 3,
  Done = 4,
  Error = 5,
}
/** Audio is handed on at clause ends, or once this much is buffered (first audio sooner). */
const MAX_BUFFERED_MS = 200;

interface Pending {
  words: WordTracker;
  audio: Float32Array[];
  bufferedSamples: number;
  totalSamples: number;
  ready: SpeechChunk[];
  finished: boolean;
  error: Error | null;
  wake: (() => void) | null;
}

export interface LibEspeakOptions {
  /** Python interpreter (default `python3`). */
  python?: string;
  /** CPU niceness of the worker process (process-priority.ts; default 10, 0: the server's). */
  niceness?: number;
  startTimeoutMs?: number;
}

export class LibEspeakEngine implements EspeakEngine {
  readonly name = 'libespeak' as const;
  readonly wordTimings = true;
  readonly streaming = true;
  readonly minWordsPerMinute = 80;
  readonly maxWordsPerMinute = 700; // Debian's build has the sonic speed-up
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private input: Buffer = Buffer.alloc(0);

  readonly sampleRate: number;
  private child: ChildProcessWithoutNullStreams;
  private restarting: Promise<void> | null = null;

  private constructor(
    worker: { child: ChildProcessWithoutNullStreams; sampleRate: number },
    private readonly options: LibEspeakOptions,
  ) {
    this.sampleRate = worker.sampleRate;
    this.child = this.adopt(worker.child);
  }

  /** Spawns the worker and waits for its ready frame; EngineUnavailableError with the reason otherwise. */
  static async start(options: LibEspeakOptions = {}): Promise<LibEspeakEngine> {
    return new LibEspeakEngine(await spawnWorker(options), options);
  }

  /** The worker's process id (monitoring, tests). */
  get workerPid(): number | undefined {
    return this.child.pid;
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private adopt(child: ChildProcessWithoutNullStreams): ChildProcessWithoutNullStreams {
    this.input = Buffer.alloc(0);
    child.stdout.on('data', (data: Buffer) => this.receive(data));
    child.on('exit', (code, signal) => this.failAll(new Error(`espeak worker exited (${signal ?? code})`)));
    child.on('error', () => {}); // reported through 'exit'
    child.stdin.on('error', () => {});
    return child;
  }

  /** A worker that died (crash, OOM kill) is replaced on the next request. */
  private async ensureRunning(): Promise<void> {
    if (this.running) return;
    this.restarting ??= spawnWorker(this.options)
      .then((worker) => void (this.child = this.adopt(worker.child)))
      .finally(() => (this.restarting = null));
    await this.restarting;
  }

  async *synthesize(request: EngineRequest): AsyncGenerator<SpeechChunk> {
    const { signal } = request;
    if (signal?.aborted) return;
    const id = this.nextId++;
    const state: Pending = {
      words: new WordTracker(request.text, this.sampleRate),
      audio: [],
      bufferedSamples: 0,
      totalSamples: 0,
      ready: [],
      finished: false,
      error: null,
      wake: null,
    };
    await this.ensureRunning();
    if (signal?.aborted) return;
    this.pending.set(id, state);
    const onAbort = () => this.cancel(id, state);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.child.stdin.write(`${JSON.stringify({ op: 'synth', id, text: request.text, voice: request.voice, rate: request.wordsPerMinute })}\n`);
    try {
      for (;;) {
        const chunk = state.ready.shift();
        if (chunk) {
          yield chunk;
          continue;
        }
        if (signal?.aborted) return;
        if (state.error) throw state.error;
        if (state.finished) return;
        await new Promise<void>((resolve) => (state.wake = resolve));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!state.finished) this.cancel(id, state); // consumer stopped early
    }
  }

  async close(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private cancel(id: number, state: Pending): void {
    if (!this.pending.delete(id)) return;
    state.finished = true;
    state.ready.length = 0;
    if (this.child.stdin.writable) this.child.stdin.write(`${JSON.stringify({ op: 'cancel', id })}\n`);
    state.wake?.();
  }

  private receive(data: Buffer): void {
    this.input = this.input.length === 0 ? data : Buffer.concat([this.input, data]);
    let at = 0;
    while (this.input.length - at >= HEADER_BYTES) {
      const length = this.input.readUInt32LE(at + 8);
      if (this.input.length - at < HEADER_BYTES + length) break;
      const id = this.input.readUInt32LE(at);
      const kind = this.input[at + 4] as Kind;
      const payload = this.input.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
      at += HEADER_BYTES + length;
      const state = this.pending.get(id);
      if (state) this.apply(id, state, kind, payload);
    }
    this.input = at === this.input.length ? Buffer.alloc(0) : this.input.subarray(at);
  }

  private apply(id: number, state: Pending, kind: Kind, payload: Buffer): void {
    switch (kind) {
      case Kind.Audio: {
        const samples = int16BytesToFloat(payload);
        state.audio.push(samples);
        state.bufferedSamples += samples.length;
        state.totalSamples += samples.length;
        if (state.bufferedSamples * 1000 >= MAX_BUFFERED_MS * this.sampleRate) this.handOn(state);
        return;
      }
      case Kind.Word:
        state.words.word(payload.readInt32LE(0), payload.readInt32LE(8));
        return;
      case Kind.Clause:
        state.words.boundary(payload.readInt32LE(0));
        this.handOn(state);
        return;
      case Kind.Done:
        state.words.boundary(state.totalSamples);
        this.handOn(state);
        state.finished = true;
        this.pending.delete(id);
        break;
      case Kind.Error:
        state.error = new Error(`espeak: ${payload.toString()}`);
        state.finished = true;
        this.pending.delete(id);
        break;
      default:
        return;
    }
    state.wake?.();
  }

  /** Moves buffered audio (and the words finished so far) into one chunk for the consumer. */
  private handOn(state: Pending): void {
    const words = state.words.take();
    if (state.bufferedSamples === 0 && words.length === 0) return;
    const samples = new Float32Array(state.bufferedSamples);
    let offset = 0;
    for (const piece of state.audio) {
      samples.set(piece, offset);
      offset += piece.length;
    }
    state.audio.length = 0;
    state.bufferedSamples = 0;
    state.ready.push(words.length > 0 ? { samples, sampleRate: this.sampleRate, words } : { samples, sampleRate: this.sampleRate });
    state.wake?.();
    state.wake = null;
  }

  private failAll(error: Error): void {
    for (const [id, state] of this.pending) {
      state.error = error;
      state.finished = true;
      this.pending.delete(id);
      state.wake?.();
    }
  }
}

async function spawnWorker(options: LibEspeakOptions): Promise<{ child: ChildProcessWithoutNullStreams; sampleRate: number }> {
  const child = spawn(options.python ?? 'python3', [WORKER_PATH], { stdio: ['pipe', 'pipe', 'pipe'] });
  lowerPriority(child.pid, options.niceness ?? DEFAULT_SYNTHESIZER_NICENESS);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const sampleRate = await new Promise<number>((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new EngineUnavailableError(`libespeak worker: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail('no ready frame in time'), options.startTimeoutMs ?? 10_000);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code) => fail(`exited with ${code}`));
    const onData = (data: Buffer) => {
      head = Buffer.concat([head, data]);
      if (head.length < HEADER_BYTES) return;
      const length = head.readUInt32LE(8);
      if (head.length < HEADER_BYTES + length) return;
      child.stdout.off('data', onData);
      const payload = head.subarray(HEADER_BYTES, HEADER_BYTES + length).toString();
      if (head[4] !== Kind.Ready) return fail(payload);
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      resolve((JSON.parse(payload) as { sampleRate: number }).sampleRate);
    };
    child.stdout.on('data', onData);
  });
  return { child, sampleRate };
}

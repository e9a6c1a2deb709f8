import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { SpeechChunk } from '../../types.js';
import { EngineUnavailableError, type EngineRequest, type EspeakEngine } from './engine.js';
import { int16BytesToFloat, parseWavHeader } from './pcm.js';

// espeak-ng compiled to WebAssembly (the `text2wav` npm package): works after a
// plain `npm ci` with nothing else installed, hence the last fallback. It only
// writes a whole WAV per run (no streaming, no word timings) and spends 50-120 ms
// per run loading its data, in a worker thread. Runs are serialized; an abort of
// the running one terminates the worker (a new one starts for the next request).

const WORKER_URL = new URL('./wasm-worker.mjs', import.meta.url);

interface Job {
  id: number;
  args: string[];
  resolve: (wav: Uint8Array) => void;
  reject: (err: Error) => void;
}

export class EspeakWasmEngine implements EspeakEngine {
  readonly name = 'wasm' as const;
  readonly wordTimings = false;
  readonly streaming = false;
  readonly minWordsPerMinute = 80;
  readonly maxWordsPerMinute = 450; // built without the sonic speed-up
  private worker: Worker | null = null;
  private running: Job | null = null;
  private readonly queue: Job[] = [];
  private nextId = 1;
  private rate = 0;

  private constructor() {}

  get sampleRate(): number {
    return this.rate;
  }

  /** Checks that text2wav is installed and runs; reads the sample rate from a one-word synthesis. */
  static async start(): Promise<EspeakWasmEngine> {
    try {
      createRequire(import.meta.url).resolve('text2wav/lib/espeak-ng');
    } catch {
      throw new EngineUnavailableError('the text2wav package is not installed');
    }
    const engine = new EspeakWasmEngine();
    try {
      const wav = await engine.run(['-v', 'en', ' a']);
      const layout = wav && parseWavHeader(wav);
      if (!layout) throw new Error('no WAV header');
      engine.rate = layout.sampleRate;
      return engine;
    } catch (err) {
      await engine.close();
      throw new EngineUnavailableError(`text2wav: ${(err as Error).message}`);
    }
  }

  async *synthesize(request: EngineRequest): AsyncGenerator<SpeechChunk> {
    const { signal } = request;
    if (signal?.aborted) return;
    // A leading space: espeak's argument parser must not read text starting with '-' as an option.
    const wav = await this.run(['-v', request.voice, '-s', String(request.wordsPerMinute), ` ${request.text}`], signal);
    if (!wav || signal?.aborted) return;
    const layout = parseWavHeader(wav);
    if (!layout) throw new Error('text2wav returned no WAV header');
    yield { samples: int16BytesToFloat(wav, layout.dataOffset), sampleRate: layout.sampleRate };
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new Error('engine closed'));
    await this.stopWorker(new Error('engine closed'));
  }

  /** Queues one espeak run; resolves null when `signal` aborted it. */
  private run(args: string[], signal?: AbortSignal): Promise<Uint8Array | null> {
    return new Promise<Uint8Array | null>((resolve, reject) => {
      const job: Job = { id: this.nextId++, args, resolve, reject };
      const onAbort = () => {
        const queued = this.queue.indexOf(job);
        if (queued >= 0) this.queue.splice(queued, 1);
        else if (this.running === job) void this.stopWorker(null);
        resolve(null);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(fn: (value: T) => void) => (value: T) => {
        signal?.removeEventListener('abort', onAbort);
        fn(value);
      };
      job.resolve = settle(resolve);
      job.reject = settle(reject);
      this.queue.push(job);
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.running = job;
    const worker = this.ensureWorker();
    worker.ref(); // a run in progress keeps the process alive; an idle engine does not
    worker.postMessage({ id: job.id, args: job.args });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL);
    worker.on('message', (message: { id: number; wav?: Uint8Array; error?: string }) => {
      const job = this.running;
      if (!job || job.id !== message.id) return;
      this.running = null;
      worker.unref();
      if (message.wav) job.resolve(message.wav);
      else job.reject(new Error(message.error ?? 'text2wav failed'));
      this.pump();
    });
    const lost = (why: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const job = this.running;
      this.running = null;
      job?.reject(why);
      this.pump();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`text2wav worker exited with ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Terminates the worker; the running job (already settled by an abort when `why` is null) is dropped. */
  private async stopWorker(why: Error | null): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const job = this.running;
    this.running = null;
    if (why) job?.reject(why);
    await worker.terminate();
    this.pump();
  }
}

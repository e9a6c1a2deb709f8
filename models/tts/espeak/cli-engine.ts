import { spawn } from 'node:child_process';
import type { SpeechChunk } from '../../types.js';
import { EngineUnavailableError, type EngineRequest, type EspeakEngine } from './engine.js';
import { int16BytesToFloat, parseWavHeader, type WavLayout } from './pcm.js';
import { DEFAULT_SYNTHESIZER_NICENESS, lowerPriority } from './process-priority.js';

// The `espeak-ng` program, one process per request, streaming its WAV output
// (`--stdout`). Used when the binary is installed but Python (for the word-timing
// worker) is not. No word timings; an abort kills the process.

export class EspeakCliEngine implements EspeakEngine {
  readonly name = 'cli' as const;
  readonly wordTimings = false;
  readonly streaming = true;
  readonly minWordsPerMinute = 80;
  readonly maxWordsPerMinute = 700;

  private constructor(
    private readonly program: string,
    readonly sampleRate: number,
    /** CPU niceness of each request's process (process-priority.ts). */
    private readonly niceness: number,
  ) {}

  /** Checks that the program runs and reads its sample rate from a one-word synthesis. */
  static async start(program = 'espeak-ng', niceness = DEFAULT_SYNTHESIZER_NICENESS): Promise<EspeakCliEngine> {
    const probe = new EspeakCliEngine(program, 0, niceness);
    try {
      for await (const chunk of probe.synthesize({ text: 'a', voice: 'en', wordsPerMinute: 175 })) {
        if (chunk.samples.length > 0) return new EspeakCliEngine(program, chunk.sampleRate, niceness);
      }
    } catch (err) {
      throw new EngineUnavailableError(`${program}: ${(err as Error).message}`);
    }
    throw new EngineUnavailableError(`${program} produced no audio`);
  }

  async *synthesize(request: EngineRequest): AsyncGenerator<SpeechChunk> {
    const { signal } = request;
    if (signal?.aborted) return;
    // Text on stdin (`--stdin`): a text starting with '-' must not read as an option.
    const child = spawn(this.program, ['--stdout', '--stdin', '-v', request.voice, '-s', String(request.wordsPerMinute)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    lowerPriority(child.pid, this.niceness);
    const kill = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', kill, { once: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-1000)));
    const exit = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    exit.catch(() => {}); // awaited below; this only stops an unhandled rejection while iterating
    child.stdin.on('error', () => {});
    child.stdin.end(request.text);
    let head: Buffer = Buffer.alloc(0);
    let layout: WavLayout | null = null;
    let odd: Buffer | null = null; // a sample split across two reads
    try {
      for await (const data of child.stdout as AsyncIterable<Buffer>) {
        if (signal?.aborted) return;
        let bytes = data;
        if (!layout) {
          head = Buffer.concat([head, data]);
          layout = parseWavHeader(head);
          if (!layout) continue;
          bytes = head.subarray(layout.dataOffset);
        }
        if (odd) {
          bytes = Buffer.concat([odd, bytes]);
          odd = null;
        }
        if (bytes.length & 1) {
          odd = bytes.subarray(bytes.length - 1);
          bytes = bytes.subarray(0, bytes.length - 1);
        }
        if (bytes.length === 0) continue;
        yield { samples: int16BytesToFloat(bytes), sampleRate: layout.sampleRate };
      }
      const code = await exit;
      if (signal?.aborted) return;
      if (code !== 0) throw new Error(`espeak-ng exited with ${code}${stderr ? `: ${stderr.trim()}` : ''}`);
    } finally {
      signal?.removeEventListener('abort', kill);
      if (child.exitCode === null && child.signalCode === null) kill(); // consumer stopped early
    }
  }

  async close(): Promise<void> {}
}

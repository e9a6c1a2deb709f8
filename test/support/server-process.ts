import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** Everything the process printed so far (for assertion messages). */
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves once the output matches `pattern` `times` times; rejects after `timeoutMs` or if the process exits first. */
  waitForOutput: (pattern: RegExp, times?: number, timeoutMs?: number) => Promise<void>;
}

/** Starting takes seconds (tsx compiles, models load) and far longer on a loaded CI machine: wait on what it prints, generously. */
const START_TIMEOUT_MS = 60_000;

/** `server/main.ts` in its own process on a random port (signals, drain, cluster tests); env adds to the scripted defaults. */
export function spawnServer(env: Record<string, string>): ServerProcess {
  // Under 32768, where Linux's ephemeral ports begin: a port from that range was taken by another
  // test's connection in a CI dry run (EADDRINUSE, the server never started).
  const port = 20000 + Math.floor(Math.random() * 12000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DUET__models__chat: JSON.stringify({ kind: 'scripted', script: 'test/fixtures/scripts/long-answer.json' }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let hasExited = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => ((hasExited = true), resolve(code))));
  const matches = (pattern: RegExp): number => output.match(new RegExp(pattern.source, pattern.flags.replace('g', '') + 'g'))?.length ?? 0;
  const waitForOutput = async (pattern: RegExp, times = 1, timeoutMs = START_TIMEOUT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (matches(pattern) < times) {
      if (hasExited) throw new Error(`the server exited before printing ${pattern} ${times}x: ${output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} ${times}x within ${timeoutMs} ms: ${output}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { child, port, wsUrl: `ws://127.0.0.1:${port}/v1/realtime`, httpUrl: `http://127.0.0.1:${port}`, output: () => output, exited, waitForOutput };
}

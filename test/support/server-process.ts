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
}

/** `server/main.ts` in its own process on a random port (signals, drain, cluster tests); env adds to the scripted defaults. */
export function spawnServer(env: Record<string, string>): ServerProcess {
  const port = 20000 + Math.floor(Math.random() * 20000);
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, wsUrl: `ws://127.0.0.1:${port}/v1/realtime`, httpUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
}

import { parseArgs } from 'node:util';

export interface ClientOptions {
  url: string;
  key: string | undefined;
  wav: string | undefined;
  text: string | undefined;
  image: string | undefined;
  json: boolean;
  out: string | undefined;
  modality: 'text' | 'audio';
  /** Give up after this long without finishing (exit 3). */
  timeoutMs: number;
  /** Quiet time after the last answer before the client considers the conversation over. */
  settleMs: number;
}

export const USAGE = `Usage: npm run client -- [options]

  --url URL            server WebSocket (default ws://localhost:8080/v1/realtime)
  --key KEY            API key (sent as Authorization: Bearer KEY)
  --wav FILE           stream a WAV file in real time (any rate, mixed to mono)
  --text TEXT          send a text message and ask for an answer
  --image FILE         attach a JPEG/PNG image (with --text, in the same message)
  --modality M         text or audio answers (default: audio with --out, else text)
  --out FILE.wav       save the answer audio (PCM16 24 kHz mono)
  --json               print raw server events, one JSON object per line
  --timeout-s N        give up after N seconds (default 60)
  -h, --help           this help

Exit codes: 0 ok, 1 error events or failed responses, 2 connection failure, 3 timeout, 64 usage.`;

export class UsageError extends Error {}

export function parseClientArgs(argv: string[]): ClientOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string', default: 'ws://localhost:8080/v1/realtime' },
      key: { type: 'string' },
      wav: { type: 'string' },
      text: { type: 'string' },
      image: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      modality: { type: 'string' },
      'timeout-s': { type: 'string', default: '60' },
      'settle-ms': { type: 'string', default: '1500' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const modality = values.modality ?? (values.out ? 'audio' : 'text');
  if (modality !== 'text' && modality !== 'audio') throw new UsageError(`--modality must be text or audio, not '${modality}'`);
  if (!values.wav && !values.text && !values.image) throw new UsageError('nothing to send: give --wav, --text and/or --image');
  const timeoutS = Number(values['timeout-s']);
  const settleMs = Number(values['settle-ms']);
  if (!(timeoutS > 0)) throw new UsageError('--timeout-s must be a positive number');
  if (!(settleMs >= 0)) throw new UsageError('--settle-ms must be a number >= 0');
  return {
    url: values.url,
    key: values.key,
    wav: values.wav,
    text: values.text,
    image: values.image,
    json: values.json,
    out: values.out,
    modality,
    timeoutMs: timeoutS * 1000,
    settleMs,
  };
}

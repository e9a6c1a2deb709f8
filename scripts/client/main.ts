// Command-line client for Duet (or any OpenAI Realtime server): `npm run client -- --help`.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { AnswerAudio } from './answer-audio.js';
import { parseClientArgs, USAGE, UsageError, type ClientOptions } from './args.js';
import { EventPrinter, type ServerEvent } from './event-printer.js';
import { TurnTracker } from './turn-tracker.js';
import { loadWavAsPcm16, type PcmInput } from './wav-io.js';

const EXIT = { ok: 0, errors: 1, connection: 2, timeout: 3, usage: 64 } as const;
const CHUNK_MS = 100;
/** Silence streamed after the WAV so server VAD sees the turn end even if the file stops mid-word. */
const TRAILING_SILENCE_MS = 1500;
const FRAME_INTERVAL_MS = 500;

class ConnectionError extends Error {}

function imageDataUrl(path: string): string {
  const bytes = readFileSync(path);
  const mime = bytes[0] === 0x89 && bytes[1] === 0x50 ? 'image/png' : bytes[0] === 0xff && bytes[1] === 0xd8 ? 'image/jpeg' : null;
  if (!mime) throw new UsageError(`${path}: not a JPEG or PNG file`);
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

interface Handlers {
  onEvent: (ws: WebSocket, event: ServerEvent) => void;
  onClose: (code: number, reason: string) => void;
}

/** Opens the socket; handlers are attached at once, since the server speaks first (possibly in the upgrade's packet). */
function connect(options: ClientOptions, handlers: Handlers): Promise<WebSocket> {
  const headers = options.key ? { Authorization: `Bearer ${options.key}` } : undefined;
  const ws = new WebSocket(options.url, ['realtime'], headers ? { headers } : {});
  ws.on('message', (data, isBinary) => {
    if (!isBinary) handlers.onEvent(ws, JSON.parse(data.toString()) as ServerEvent);
  });
  ws.on('open', () => ws.on('close', (code, reason) => handlers.onClose(code, reason.toString())));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', (err) => reject(new ConnectionError(`cannot connect to ${options.url}: ${err.message}`)));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        const hint = res.statusCode === 401 ? ' (missing or wrong API key: use --key)' : '';
        reject(new ConnectionError(`server answered HTTP ${res.statusCode}${hint}: ${body.slice(0, 300)}`));
      });
    });
  });
}

async function streamWav(ws: WebSocket, input: PcmInput, image: string | null, until: AbortSignal): Promise<void> {
  const chunkBytes = ((input.rate * CHUNK_MS) / 1000) * 2;
  const silence = Buffer.alloc(((input.rate * TRAILING_SILENCE_MS) / 1000) * 2);
  const audio = Buffer.concat([input.pcm, silence]);
  const started = performance.now();
  let nextFrameAt = 0;
  for (let offset = 0, i = 0; offset < audio.length && !until.aborted; offset += chunkBytes, i++) {
    const elapsed = i * CHUNK_MS;
    // A still image acts as a camera: frames keep coming while the user speaks.
    if (image && elapsed >= nextFrameAt) {
      ws.send(JSON.stringify({ type: 'duet.input_image.append', image }));
      nextFrameAt += FRAME_INTERVAL_MS;
    }
    ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: audio.subarray(offset, offset + chunkBytes).toString('base64') }));
    const wait = started + elapsed + CHUNK_MS - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

async function run(options: ClientOptions): Promise<number> {
  const wavInput = options.wav ? loadWavAsPcm16(options.wav) : null;
  const image = options.image ? imageDataUrl(options.image) : null;
  const printer = new EventPrinter({ out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  const tracker = new TurnTracker(options.settleMs);
  const audio = new AnswerAudio();
  const stop = new AbortController();
  let closedEarly = false;
  let sessionReady: (() => void) | null = null;
  const ready = new Promise<void>((resolve) => (sessionReady = resolve));

  const onEvent = (ws: WebSocket, event: ServerEvent) => {
    tracker.observe(event);
    if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else printer.print(event);
    if (event.type === 'response.output_audio.delta') audio.add(event.delta);
    if (event.type === 'session.created') {
      // The CLI reads duet.* events, so speech is announced at once (see protocol/README.md, speech_started).
      const session: Record<string, unknown> = { type: 'realtime', output_modalities: [options.modality], duet: { speech_started: 'immediate' } };
      if (wavInput) session.audio = { input: { format: { type: 'audio/pcm', rate: wavInput.rate } } };
      ws.send(JSON.stringify({ type: 'session.update', session }));
    }
    if (event.type === 'session.updated') sessionReady?.();
  };
  const onClose = (code: number, reason: string) => {
    if (stop.signal.aborted) return;
    closedEarly = true;
    printer.line(`[connection] closed by the server (${code}${reason ? ` ${reason}` : ''})`);
    stop.abort();
    sessionReady?.();
  };
  const ws = await connect(options, { onEvent, onClose });

  const deadline = performance.now() + options.timeoutMs;
  await Promise.race([ready, sleep(options.timeoutMs, undefined, { ref: false })]);
  if (!stop.signal.aborted && performance.now() < deadline) {
    if (options.text !== undefined || (image && !wavInput)) {
      const content: Record<string, string>[] = [];
      if (options.text !== undefined) content.push({ type: 'input_text', text: options.text });
      if (image && !wavInput) content.push({ type: 'input_image', image_url: image });
      ws.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content } }));
      ws.send(JSON.stringify({ type: 'response.create' }));
      tracker.expectResponse();
    }
    if (wavInput) await streamWav(ws, wavInput, image, stop.signal);
    tracker.inputFinished = true;
  }
  while (!stop.signal.aborted && !tracker.quiet() && performance.now() < deadline) await sleep(50);
  const timedOut = !stop.signal.aborted && !tracker.quiet();
  stop.abort();
  ws.close(1000);
  printer.endInline();
  if (options.out) {
    if (audio.durationMs === 0) process.stderr.write(`[audio] no answer audio received; ${options.out} not written\n`);
    else printer.line(`[audio] ${(audio.save(options.out) / 1000).toFixed(2)} s of answer audio written to ${options.out}`);
  }
  if (timedOut) {
    process.stderr.write(`[timeout] no quiet end within ${options.timeoutMs / 1000} s\n`);
    return EXIT.timeout;
  }
  if (tracker.failures > 0) return EXIT.errors;
  return closedEarly ? EXIT.connection : EXIT.ok;
}

async function main(): Promise<number> {
  try {
    const options = parseClientArgs(process.argv.slice(2));
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    return await run(options);
  } catch (err) {
    const message = (err as Error).message;
    if (err instanceof ConnectionError) {
      process.stderr.write(`[connection] ${message}\n`);
      return EXIT.connection;
    }
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') || (err as { code?: string }).code === 'ENOENT';
    process.stderr.write(`${usage ? 'usage' : 'error'}: ${message}\n${usage ? `\n${USAGE}\n` : ''}`);
    return usage ? EXIT.usage : EXIT.errors;
  }
}

// A reader that goes away (`| head`) ends the client quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? EXIT.ok : EXIT.errors));
process.exitCode = await main();

// A lean Realtime client for load generation: every server event is time-stamped on arrival
// (performance clock) and handed to listeners or one-shot expectations registered before the
// client event that provokes them, so no event can be missed between a send and a wait.
import WebSocket from 'ws';

export type ServerEvent = Record<string, unknown> & { type: string };
export interface Arrival {
  event: ServerEvent;
  atMs: number;
}

interface Expectation {
  match: (e: ServerEvent) => boolean;
  resolve: (a: Arrival) => void;
  timer: NodeJS.Timeout;
}

export class BenchTimeout extends Error {}

export class WsSession {
  private expectations: Expectation[] = [];
  private listeners: ((a: Arrival) => void)[] = [];
  readonly errors = new Map<string, number>();
  closed = false;
  /** The session as the server's session.updated described it after open()'s update. */
  session: Record<string, unknown> = {};

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const atMs = performance.now();
      const event = JSON.parse(data.toString()) as ServerEvent;
      if (event.type === 'error') {
        const code = String((event.error as { code?: string } | undefined)?.code ?? 'unknown');
        this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
      }
      const arrival = { event, atMs };
      for (const l of this.listeners) l(arrival);
      if (this.expectations.length === 0) return;
      const still: Expectation[] = [];
      for (const x of this.expectations) {
        if (x.match(event)) {
          clearTimeout(x.timer);
          x.resolve(arrival);
        } else still.push(x);
      }
      this.expectations = still;
    });
    ws.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects, waits for session.created, applies `session` with session.update and waits for session.updated. */
  static async open(url: string, session: Record<string, unknown>, timeoutMs = 15000): Promise<WsSession> {
    const ws = new WebSocket(url, ['realtime'], { perMessageDeflate: false });
    const s = new WsSession(ws);
    const created = s.expect('session.created', undefined, timeoutMs);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} on connect`)));
    });
    await created;
    const updated = s.expect('session.updated', undefined, timeoutMs);
    s.send({ type: 'session.update', session });
    s.session = ((await updated).event.session as Record<string, unknown> | undefined) ?? {};
    return s;
  }

  onEvent(listener: (a: Arrival) => void): void {
    this.listeners.push(listener);
  }

  offEvent(listener: (a: Arrival) => void): void {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }

  /** The next event of this type (and predicate) from now on; rejects with BenchTimeout. */
  expect(type: string, predicate?: (e: ServerEvent) => boolean, timeoutMs = 10000): Promise<Arrival> {
    const arrival = new Promise<Arrival>((resolve, reject) => {
      const x: Expectation = {
        match: (e) => e.type === type && (!predicate || predicate(e)),
        resolve,
        timer: setTimeout(() => {
          this.expectations = this.expectations.filter((y) => y !== x);
          reject(new BenchTimeout(`timed out after ${timeoutMs} ms waiting for ${type}`));
        }, timeoutMs),
      };
      this.expectations.push(x);
    });
    // Marked handled: a caller that gave up on a sibling expectation must not crash the process.
    arrival.catch(() => {});
    return arrival;
  }

  /** Sends a client event; returns the send time. */
  send(event: Record<string, unknown>): number {
    this.ws.send(JSON.stringify(event));
    return performance.now();
  }

  sendAudio(chunk: Buffer): void {
    this.ws.send(chunk, { binary: true });
  }

  close(): void {
    for (const x of this.expectations) clearTimeout(x.timer);
    this.expectations = [];
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
}

/** Opens `count` sessions, `parallel` connects at a time. */
export async function openSessions(url: string, count: number, session: Record<string, unknown>, parallel = 16): Promise<WsSession[]> {
  const sessions: WsSession[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, () => WsSession.open(url, session)));
    sessions.push(...batch);
  }
  return sessions;
}

/** The session.update every benchmark session sends: 16 kHz PCM (no resampling), text answers. */
export function benchSessionConfig(turnDetection: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'realtime',
    output_modalities: ['text'],
    audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: turnDetection } },
    // Benches time every event as it happens: speech over an answer is announced at once.
    duet: { speech_started: 'immediate' },
  };
}

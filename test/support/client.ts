import WebSocket from 'ws';
import { checkServerEvent } from '../../protocol/validate.js';

export type Ev = Record<string, unknown> & { type: string; event_id: string };

/**
 * A test client over a real socket. Every server event is checked against its schema and
 * for a unique event_id; `violations` collects any failure so tests can assert none.
 */
export class TestClient {
  readonly events: Ev[] = [];
  readonly violations: string[] = [];
  private readonly seenIds = new Set<string>();
  private waiters: { match: (e: Ev) => boolean; resolve: (e: Ev) => void }[] = [];
  closed: { code: number; reason: string } | null = null;
  private closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const event = JSON.parse(data.toString()) as Ev;
      const problem = checkServerEvent(event);
      if (problem) this.violations.push(problem);
      if (typeof event.event_id !== 'string' || this.seenIds.has(event.event_id)) this.violations.push(`bad or repeated event_id on ${event.type}`);
      this.seenIds.add(event.event_id);
      this.events.push(event);
      const still: typeof this.waiters = [];
      for (const w of this.waiters) (w.match(event) ? w.resolve(event) : still.push(w));
      this.waiters = still;
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters) w(this.closed);
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options.protocols ?? ['realtime'], options);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(event));
  }

  /** Next event (already received or future) matching type and predicate, after index `from`. */
  waitFor(type: string, predicate: (e: Ev) => boolean = () => true, timeoutMs = 10000, from = 0): Promise<Ev> {
    const match = (e: Ev) => e.type === type && predicate(e);
    const existing = this.events.slice(from).find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}; got ${this.events.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  /** Waits for an error event answering the client event with this event_id. */
  errorFor(eventId: string, timeoutMs = 5000): Promise<Ev> {
    return this.waitFor('error', (e) => (e.error as { event_id: string | null }).event_id === eventId, timeoutMs);
  }

  waitClosed(timeoutMs = 10000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((c) => (clearTimeout(timer), resolve(c)));
    });
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  close(): void {
    this.ws.close();
  }
}

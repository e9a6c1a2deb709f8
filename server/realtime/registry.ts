import type { RealtimeSession } from './session.js';

/**
 * Admission counted across processes (server/cluster/: the primary counts every worker's
 * sessions). A slot is reserved before the upgrade and released once when the socket's session
 * ends or is refused.
 */
export interface SharedAdmission {
  /** Reserves a slot; resolves null when reserved, else why not. */
  reserve(): Promise<string | null>;
  release(): void;
}

/** Live sessions of one server; capacity and drain state. */
export class SessionRegistry {
  private readonly sessions = new Set<RealtimeSession>();
  draining = false;
  /** Set in a cluster worker: maxSessions then holds for the whole server. */
  shared: SharedAdmission | null = null;

  constructor(private readonly maxSessions: number) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Why a new session would be refused, or null when it may start. */
  refusal(): string | null {
    if (this.draining) return 'The server is shutting down; connect to another server.';
    if (this.sessions.size >= this.maxSessions) return `The server is at its limit of ${this.maxSessions} sessions; try again later.`;
    return null;
  }

  /** Live sessions (for tests and diagnostics). */
  list(): RealtimeSession[] {
    return [...this.sessions];
  }

  add(session: RealtimeSession): void {
    this.sessions.add(session);
  }

  remove(session: RealtimeSession): void {
    this.sessions.delete(session);
  }

  /** Tells every session, lets current turns finish within the deadline, closes them all. */
  async drainAll(deadlineMs: number, reason: string): Promise<void> {
    this.draining = true;
    await Promise.all([...this.sessions].map((s) => s.drain(deadlineMs, reason)));
  }
}

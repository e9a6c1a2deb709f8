// IPC between the cluster primary and its workers (tagged `duet` so prom-client's own cluster
// messages, which share the channel, are told apart).
//   worker -> primary: reserve (a session slot), release, metrics (the aggregated text, for GET /metrics)
//   primary -> worker: reserved, metrics (replies, by id), drain (shut down gracefully and exit)

export type WorkerMessage = { duet: 'reserve'; id: number } | { duet: 'release' } | { duet: 'metrics'; id: number };

export type PrimaryMessage =
  | { duet: 'reserved'; id: number; refusal: string | null }
  | { duet: 'metrics'; id: number; text?: string; error?: string }
  | { duet: 'drain' };

export function isDuetMessage<T extends { duet: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { duet?: unknown }).duet === 'string';
}

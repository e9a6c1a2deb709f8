import { setPriority } from 'node:os';

// The synthesizer's own processes run at a lower CPU priority than the server. Synthesis runs
// far ahead of playback (a clause in a few ms of CPU, at about 1000x real time), so it can wait;
// the event loop cannot: on a busy core a synthesis burst at the same priority stalls every
// session's audio for its length. Measured in bench:conversation, 90 sessions on one core:
// end of speech -> speech_stopped p95 1.9 s at niceness 0, 0.6-0.8 s at 10.

/** Default niceness of the synthesizer's processes (0 = the server's own priority). */
export const DEFAULT_SYNTHESIZER_NICENESS = 10;

/**
 * Lowers the priority of process `pid` to `niceness` (0-19). Best effort: where the host forbids
 * it (a sandbox without setpriority) the process keeps the server's priority and works the same.
 */
export function lowerPriority(pid: number | undefined, niceness: number): void {
  if (pid === undefined || niceness <= 0) return;
  try {
    setPriority(pid, Math.min(19, niceness));
  } catch {
    // Not permitted here: synthesis still works, at the server's priority.
  }
}

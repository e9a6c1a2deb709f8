/**
 * Turns SIGTERM / SIGINT into one graceful drain, however the process was started.
 *
 * Under `npm start` a signal can reach this process twice: once directly (a signal to the
 * process group, Ctrl-C in a terminal) and once forwarded by npm, which relays SIGTERM and
 * SIGINT to its child. A repeated SIGTERM is therefore the same request and only logged; the
 * drain's own deadline bounds it. A second SIGINT stops at once (an impatient Ctrl-C), unless
 * it is npm's copy of the first: one that arrives within `duplicateWindowMs` is ignored.
 */
export interface StopSignalOptions {
  /** Starts the drain; resolves when everything is closed. Called once. */
  drain: (signal: NodeJS.Signals) => Promise<void>;
  /** Exits the process (injected by tests). */
  exit: (code: number) => void;
  log: { info: (obj: object, msg: string) => void; error: (obj: object, msg: string) => void };
  /** After the drain started, exit(1) if it has not finished after this long. */
  hardDeadlineMs: number;
  duplicateWindowMs?: number;
  now?: () => number;
}

export function installStopSignals(options: StopSignalOptions, target: NodeJS.EventEmitter = process): () => void {
  const { drain, exit, log, hardDeadlineMs } = options;
  const duplicateWindowMs = options.duplicateWindowMs ?? 1000;
  const now = options.now ?? Date.now;
  let startedAt: number | null = null;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (startedAt !== null) {
      const sinceMs = now() - startedAt;
      if (signal === 'SIGINT' && sinceMs >= duplicateWindowMs) {
        log.info({ signal }, 'second interrupt: stopping now');
        exit(1);
        return;
      }
      log.info({ signal, since_ms: sinceMs }, 'already shutting down');
      return;
    }
    startedAt = now();
    log.info({ signal, deadline_ms: hardDeadlineMs }, 'shutting down');
    setTimeout(() => exit(1), hardDeadlineMs).unref();
    drain(signal).then(
      () => exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  target.on('SIGTERM', onSignal);
  target.on('SIGINT', onSignal);
  return () => {
    target.off('SIGTERM', onSignal);
    target.off('SIGINT', onSignal);
  };
}

import { Counter, type Registry } from 'prom-client';

/**
 * A counter with one label for per-event hot paths (every delta sent). prom-client's labelled
 * inc() builds a label hash per call; here an increment is one Map update, and the tallies are
 * handed to the Prometheus counter when it is read (scrape or get()), so nothing is lost.
 */
export class TallyCounter {
  private readonly pending = new Map<string, number>();
  readonly counter: Counter<string>;

  constructor(options: { name: string; help: string; label: string; registry: Registry }) {
    const { label } = options;
    const pending = this.pending;
    this.counter = new Counter({
      name: options.name,
      help: options.help,
      labelNames: [label],
      registers: [options.registry],
      collect() {
        for (const [value, count] of pending) this.inc({ [label]: value }, count);
        pending.clear();
      },
    });
  }

  inc(labelValue: string): void {
    this.pending.set(labelValue, (this.pending.get(labelValue) ?? 0) + 1);
  }
}

// Abort flags in shared memory. The server thread sets a request's flag the moment its
// AbortSignal fires; the worker reads it before every decode step. A message alone would only
// be seen once the worker's event loop polls, which can be after the next step has been queued.

export const ABORT_SLOTS = 1024;

export class AbortSlots {
  readonly buffer = new SharedArrayBuffer(ABORT_SLOTS * 4);
  private readonly flags = new Int32Array(this.buffer);
  private readonly free: number[] = [];

  constructor() {
    for (let i = ABORT_SLOTS - 1; i >= 0; i--) this.free.push(i);
  }

  take(): number {
    const slot = this.free.pop();
    if (slot === undefined) throw new Error('too many requests in flight for the inference worker');
    Atomics.store(this.flags, slot, 0);
    return slot;
  }

  abort(slot: number): void {
    Atomics.store(this.flags, slot, 1);
  }

  give(slot: number): void {
    this.free.push(slot);
  }
}

/** The worker's view of one slot as an AbortSignal (only `aborted` is read by the engines). */
export function slotSignal(buffer: SharedArrayBuffer, slot: number, controller: AbortController): AbortSignal {
  const flags = new Int32Array(buffer);
  const signal = controller.signal;
  return new Proxy(signal, {
    get(target, prop) {
      if (prop === 'aborted') {
        if (!target.aborted && Atomics.load(flags, slot) === 1) controller.abort();
        return target.aborted;
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// Where a client's microphone samples are on the server's clock: sample i was captured at about
// `originMs + i / 16`. The origin is the earliest-arrival line (arrival time less the audio sent
// so far) at its lowest, since network jitter only ever delays a chunk; it may creep up (a client
// clock slower than the server's: CREEP) and follows any fall at once (a faster one). A client that
// stopped sending for a while (muted, or its own VAD heard nothing: those samples never count)
// stands higher from then on, by far more than any creep: once every arrival of the last
// `windowMs` stands more than GAP_MS above the origin, the origin moves up to them.

const BUCKET_MS = 100;
/** Drift of the client's clock the origin may follow upwards, ms per ms. */
const CREEP = 0.002;
/** A rise of the whole recent line by more than this is a pause in sending, not jitter. */
const GAP_MS = 50;

export class ArrivalLine {
  private readonly buckets: number;
  private readonly ids: Float64Array;
  private readonly mins: Float64Array;
  private samples = 0;
  private newest = Number.NEGATIVE_INFINITY;
  private origin = Number.POSITIVE_INFINITY;
  private lastArrivalMs = Number.NaN;
  private firstId = Number.NaN;

  constructor(
    private readonly samplesPerMs: number,
    windowMs = 2000,
  ) {
    this.buckets = Math.max(1, Math.ceil(windowMs / BUCKET_MS));
    this.ids = new Float64Array(this.buckets).fill(Number.NEGATIVE_INFINITY);
    this.mins = new Float64Array(this.buckets);
  }

  /** Wall time of sample 0; Infinity before any arrival. */
  get originMs(): number {
    return this.origin;
  }

  /** `count` samples arrived at `arrivalMs`. */
  push(count: number, arrivalMs: number): void {
    this.samples += count;
    const line = arrivalMs - this.samples / this.samplesPerMs;
    const elapsed = Number.isNaN(this.lastArrivalMs) ? 0 : Math.max(0, arrivalMs - this.lastArrivalMs);
    this.lastArrivalMs = arrivalMs;
    this.origin = Math.min(this.origin + elapsed * CREEP, line);
    const id = Math.floor(arrivalMs / BUCKET_MS);
    if (Number.isNaN(this.firstId)) this.firstId = id;
    if (id > this.newest) this.newest = id;
    const slot = ((id % this.buckets) + this.buckets) % this.buckets;
    if (this.ids[slot] === id) {
      if (line < this.mins[slot]) this.mins[slot] = line;
      return;
    }
    this.ids[slot] = id;
    this.mins[slot] = line;
    // As each bucket begins: a whole window of arrivals (not merely the first ones) far above the
    // origin is a pause in sending.
    if (this.newest - this.firstId < this.buckets) return;
    const recent = this.recentMin();
    if (recent - this.origin > GAP_MS) this.origin = recent;
  }

  /** The lowest line over the window. */
  private recentMin(): number {
    let min = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.buckets; k++) {
      if (this.ids[k] > this.newest - this.buckets && this.mins[k] < min) min = this.mins[k];
    }
    return min;
  }
}

// The loudspeaker's clock against the microphone's (a client playing on one device and recording
// on another): the echo's delay then grows or shrinks steadily over a run of playback, faster
// than the adaptive filter follows (20 ppm: one sample every 3 s; ERLE ~35 -> ~18 dB, and a new
// run, which the loudspeaker starts afresh, finds the filter where the last run's drift left it).
// Measured from the filter itself: about once a second, while it is cancelling echo, the position
// of its impulse response's main tap, to a fraction of a sample. Added to what the compensation
// has already taken out, that is where the echo really is; a steady line through those positions
// over the run is the drift, and the reference is read at that rate so the filter sees a still
// echo path.

/** Observations kept (about one a second), and the fewest, and the seconds they must span, for a fit. */
const WINDOW = 10;
const MIN_OBSERVATIONS = 5;
const MIN_SPAN_S = 4;
/**
 * A fit this loose (RMS residual, samples) is not a steady drift, unless the drift is strong
 * against it: a residual under TREND_SHARE of the samples the line moves over its span. At 300 ppm
 * (5 samples a second) the filter follows the echo late and in jumps of 2-10 samples, so no
 * tight fit ever came and nothing was compensated (ERLE 2-4 dB). Such a rough rate is taken, and
 * the observations start over: read through it the path is nearly still, the filter's tap steady,
 * and the next fit measures what is left.
 */
const MAX_RESIDUAL = 0.3;
const TREND_SHARE = 0.2;
/** Drift compensated at most (ppm), and below this left to the filter (2 ppm: a sample in 30 s). */
const MAX_PPM = 500;
const MIN_PPM = 2;
/** An observation this far (samples) from the line so far: another tap, or the filter relearnt. */
const MAX_JUMP = 4;
/** Before a fit, from the last observation, on top of the fastest drift: the jumps of a filter following a drift late. */
const MAX_JUMP_UNFITTED = 8;

export class DriftTracker {
  private readonly times: number[] = [];
  private readonly positions: number[] = [];
  private fit: { slope: number; intercept: number } | null = null;
  private rateValue = 0;

  constructor(private readonly samplesPerSecond: number) {}

  /** How much later (samples per microphone sample) the echo comes from as a run goes on: the reference is read at 1 - rate. */
  get rate(): number {
    return this.rateValue;
  }

  /**
   * The filter's main tap was at `tap` (samples) at `seconds`, with `compensated` samples taken
   * out of the reading position so far in this run.
   */
  observe(seconds: number, tap: number, compensated: number): void {
    const position = tap + compensated;
    if (this.jumped(seconds, position)) this.restart();
    this.times.push(seconds);
    this.positions.push(position);
    if (this.times.length > WINDOW) {
      this.times.shift();
      this.positions.shift();
    }
    if (this.times.length < MIN_OBSERVATIONS || seconds - this.times[0]! < MIN_SPAN_S) return;
    const fit = linearFit(this.times, this.positions);
    const rough = fit.residual > MAX_RESIDUAL;
    if (rough && fit.residual > TREND_SHARE * Math.abs(fit.slope) * (seconds - this.times[0]!)) return;
    this.fit = fit;
    const rate = fit.slope / this.samplesPerSecond;
    this.rateValue = Math.abs(rate) < MIN_PPM / 1e6 ? 0 : Math.max(-MAX_PPM / 1e6, Math.min(MAX_PPM / 1e6, rate));
    if (rough) this.restart();
  }

  /** Whether `position` is off the line so far (or, before a fit, off the last one by more than the fastest drift allows). */
  private jumped(seconds: number, position: number): boolean {
    if (this.fit) return Math.abs(position - (this.fit.intercept + this.fit.slope * seconds)) > MAX_JUMP;
    const last = this.positions.length - 1;
    if (last < 0) return false;
    const allowed = MAX_JUMP_UNFITTED + MAX_PPM * 1e-6 * this.samplesPerSecond * (seconds - this.times[last]!);
    return Math.abs(position - this.positions[last]!) > allowed;
  }

  /**
   * A new run begins at `seconds`, the last one having begun at `runStartSeconds`: the samples the
   * echo drifted over it (the fitted line where there is one, else the rate), which the
   * loudspeaker now starts afresh from. Observations start over.
   */
  newRun(seconds: number, runStartSeconds: number): number {
    const drifted = (this.fit ? this.fit.slope : this.rateValue * this.samplesPerSecond) * (seconds - runStartSeconds);
    this.restart();
    return drifted;
  }

  /** The filter moved: where its taps were says nothing of where they are now (the rate stays). */
  restart(): void {
    this.times.length = 0;
    this.positions.length = 0;
    this.fit = null;
  }
}

/** Least-squares line through (x, y): slope, intercept (at x = 0) and the RMS of what it leaves. */
function linearFit(x: readonly number[], y: readonly number[]): { slope: number; intercept: number; residual: number } {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - my - slope * (x[i]! - mx)) ** 2;
  return { slope, intercept: my - slope * mx, residual: Math.sqrt(sse / n) };
}

/** Where the impulse response's largest tap is, to a fraction of a sample (parabola through it and its neighbours). */
export function mainTap(ir: Int32Array): number {
  let peak = 0;
  for (let i = 1; i < ir.length; i++) if (Math.abs(ir[i]!) > Math.abs(ir[peak]!)) peak = i;
  if (peak === 0 || peak === ir.length - 1) return peak;
  const y0 = Math.abs(ir[peak - 1]!);
  const y1 = Math.abs(ir[peak]!);
  const y2 = Math.abs(ir[peak + 1]!);
  const curvature = y0 - 2 * y1 + y2;
  return curvature === 0 ? peak : peak + (y0 - y2) / (2 * curvature);
}

// The loudspeaker's clock against the microphone's (a client playing on one device and recording
// on another): the echo's delay then grows or shrinks steadily over a run of playback, faster
// than the adaptive filter follows (20 ppm: one sample every 3 s; ERLE ~35 -> ~18 dB, and a new
// run, which the loudspeaker starts afresh, finds the filter where the last run's drift left it).
// Measured every 500 ms while the filter cancels echo: the echo's delay against the reference, to a
// fraction of a sample (echo-lag-meter.ts). Added to what the compensation has already taken out,
// that is where the echo really is; a steady line through those positions over the run is the
// drift, and the reference is read at that rate so the filter sees a still echo path.
//
// The filter's main tap was the measure until 2026-12 (once a second, a first fit after 5 over
// 4 s): smeared by the drift it measures, it came 8 s into an answer at 300 ppm, after the pauses
// the drift had drawn. The delays measured now lie within 0.13-0.28 samples of the line: a fit
// after 4 over 1.5 s, taken where the line moves clearly (SIGNIFICANCE), is a rate within 3-17%,
// and the fits after it refine it.

/** Observations kept (about two a second), and the fewest, and the seconds they must span, for a fit. */
const WINDOW = 16;
const MIN_OBSERVATIONS = 4;
const MIN_SPAN_S = 1.5;
/**
 * A slope is a drift only this many standard errors from none: a still echo's delays scatter by
 * 0.13 samples, and 4 of them over 1.5 s gave slopes of several ppm, which read the reference
 * between samples for nothing (ReferenceClock.reading). Over this span, a slope within that is
 * taken for none (a rate taken before goes).
 */
const SIGNIFICANCE = 4;
const SETTLED_SPAN_S = 4;
/** An observation this far (samples) from a fit's line is left out of it (one of 20 windows read a reflection 2.3 samples off). */
const OUTLIER = 1;
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
  /** The last observation, where it was off the line (jumped). */
  private offLine: Observation | null = null;

  constructor(private readonly samplesPerSecond: number) {}

  /** How much later (samples per microphone sample) the echo comes from as a run goes on: the reference is read at 1 - rate. */
  get rate(): number {
    return this.rateValue;
  }

  /**
   * The echo's delay was `delay` (samples, echo-lag-meter.ts) at `seconds`, with `compensated`
   * samples taken out of the reading position so far in this run.
   */
  observe(seconds: number, delay: number, compensated: number): void {
    const position = delay + compensated;
    // One observation off the line may be a reflection read for the echo's path (a window whose
    // correlation peaked 5 samples off, and a fit through it took -426 ppm for -300): it waits for
    // the next. Two in a row are where the echo went (the filter relearnt it elsewhere).
    if (this.jumped(seconds, position)) {
      const before = this.offLine;
      this.offLine = { seconds, position };
      if (!before) return;
      this.restart();
      this.times.push(before.seconds);
      this.positions.push(before.position);
    }
    this.offLine = null;
    this.times.push(seconds);
    this.positions.push(position);
    if (this.times.length > WINDOW) {
      this.times.shift();
      this.positions.shift();
    }
    const span = seconds - this.times[0]!;
    if (this.times.length < MIN_OBSERVATIONS || span < MIN_SPAN_S) return;
    const fit = robustFit(this.times, this.positions);
    const rough = fit.residual > MAX_RESIDUAL;
    if (rough && fit.residual > TREND_SHARE * Math.abs(fit.slope) * span) return;
    const still = Math.abs(fit.slope) < SIGNIFICANCE * fit.slopeError;
    if (still && span < SETTLED_SPAN_S) return;
    this.fit = fit;
    const rate = still ? 0 : fit.slope / this.samplesPerSecond;
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
   * loudspeaker now starts afresh from; none where no drift is compensated (a still echo's line
   * leans by chance: 0.03 samples a second is 0.6 samples over a 20 s answer, read off for nothing).
   * Observations start over. (The line through the whole run instead of the last one was tried: the
   * second answer's ERLE after its first 2 s fell under 25 dB in 3 of bench:echo's 10 two-device
   * rows, against 1.)
   */
  newRun(seconds: number, runStartSeconds: number): number {
    const slope = this.rateValue === 0 ? 0 : this.fit ? this.fit.slope : this.rateValue * this.samplesPerSecond;
    this.restart();
    return slope * (seconds - runStartSeconds);
  }

  /** Observations start over (the rate stays): a rough rate taken, the echo jumped, a new run. */
  private restart(): void {
    this.times.length = 0;
    this.positions.length = 0;
    this.fit = null;
    this.offLine = null;
  }
}

interface Observation {
  seconds: number;
  position: number;
}

interface LineFit {
  slope: number;
  intercept: number;
  /** The RMS of what the line leaves, and the slope's standard error. */
  residual: number;
  slopeError: number;
}

/** The least-squares line, fitted again without its worst point where that lies OUTLIER off it (5 points or more). */
function robustFit(x: readonly number[], y: readonly number[]): LineFit {
  const fit = linearFit(x, y);
  if (x.length < 5) return fit;
  let worst = 0;
  for (let i = 1; i < x.length; i++) if (Math.abs(y[i]! - fit.intercept - fit.slope * x[i]!) > Math.abs(y[worst]! - fit.intercept - fit.slope * x[worst]!)) worst = i;
  if (Math.abs(y[worst]! - fit.intercept - fit.slope * x[worst]!) <= OUTLIER) return fit;
  return linearFit(
    x.filter((_, i) => i !== worst),
    y.filter((_, i) => i !== worst),
  );
}

/** Least-squares line through (x, y): slope, intercept (at x = 0), the RMS of what it leaves and the slope's standard error. */
function linearFit(x: readonly number[], y: readonly number[]): LineFit {
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
  const slopeError = n > 2 && sxx > 0 ? Math.sqrt(sse / (n - 2) / sxx) : Number.POSITIVE_INFINITY;
  return { slope, intercept: my - slope * mx, residual: Math.sqrt(sse / n), slopeError };
}

/** Where the impulse response's largest tap is, to a fraction of a sample (parabola through it and its neighbours). */
export function mainTap(ir: Int32Array): number {
  let peak = 0;
  for (let i = 1; i < ir.length; i++) if (Math.abs(ir[i]!) > Math.abs(ir[peak]!)) peak = i;
  if (peak === 0 || peak === ir.length - 1) return peak;
  return peak + parabolicOffset(Math.abs(ir[peak - 1]!), Math.abs(ir[peak]!), Math.abs(ir[peak + 1]!));
}

/** Where a peak `y1` between its neighbours `y0` and `y2` lies, samples from its own (the parabola through the three); 0 where they are level. */
export function parabolicOffset(y0: number, y1: number, y2: number): number {
  const curvature = y0 - 2 * y1 + y2;
  return curvature < 0 ? (y0 - y2) / (2 * curvature) : 0;
}

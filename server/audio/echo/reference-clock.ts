// Where in the echo reference each microphone frame's echo comes from, on the reference's sample
// index: the microphone's clock against the server's, and the loudspeaker's against the
// microphone's.
//
// The client's chunks arrive on the server's clock (ArrivalLine gives the wall time of each
// microphone sample). That alignment moves only as a new run of playback begins
// (EchoReference.runs), once the last run's echo is over: the client plays a run and records its
// echo on one clock, so within a run the echo keeps its place in microphone samples, while the
// arrival line follows the client's clock against the server's (100 ppm moves it 1 ms every
// 10 s). Following it mid-run shifted the reference under a converged filter every few seconds
// (ERLE ~35 -> ~6 dB at 100 ppm). A new run is placed by the server's clock, so it is read with
// the line as it is then.
//
// A loudspeaker and a microphone on two clocks make the echo drift within a run: DriftTracker
// measures that from the echo's delay (echo-lag-meter.ts) and the reference is read that much later (or
// earlier) as the run goes on; the loudspeaker starts each new run afresh.
import { ArrivalLine } from './arrival-line.js';
import { DriftTracker } from './drift-tracker.js';
import type { EchoReference } from './reference.js';

/** The alignment moves when the arrival line has moved this much (it wobbles by a fraction of a sample from chunk to chunk). */
const ALIGNMENT_STEP_MS = 1;

export class ReferenceClock {
  private readonly arrivals: ArrivalLine;
  private readonly drift: DriftTracker;
  private readonly framesPerSecond: number;
  /** The wall time of microphone sample 0 the reference is read with. */
  private alignedOriginMs = Number.POSITIVE_INFINITY;
  /** The reference's run the alignment was set for (0: none yet), and the frame that run began at. */
  private alignedRun = 0;
  private runStartFrame = 0;
  /** Reference samples the drift compensation takes out of the reading position, and what it was as this run began. */
  private driftSamples = 0;
  private runStartDrift = 0;
  /** Reference samples skipped: silence the reference placed for a stall the client never had (skipStall). */
  private skipped = 0;

  constructor(
    private readonly reference: EchoReference,
    private readonly samplesPerMs: number,
    private readonly frameSamples: number,
    /** A run placed after a silence longer than this (samples) forgets the stalls skipped before it. */
    private readonly resetSkipAfterSamples: number,
  ) {
    this.arrivals = new ArrivalLine(samplesPerMs);
    this.drift = new DriftTracker(samplesPerMs * 1000);
    this.framesPerSecond = (1000 * samplesPerMs) / frameSamples;
  }

  /** Microphone samples that arrived at `arrivalMs` (server clock). */
  arrived(count: number, arrivalMs: number): void {
    this.arrivals.push(count, arrivalMs);
  }

  /** The drift compensated (reference samples per microphone sample); 0 when none. */
  get driftRate(): number {
    return this.drift.rate;
  }

  /**
   * Reference sample index (may be fractional) that microphone frame `frame` is heard against,
   * undelayed; frames are asked for in order, once each. `echoOver`: no echo of the assistant's
   * last audio can be in the microphone any more (a new run may be aligned now).
   */
  position(frame: number, echoOver: boolean): number {
    const newRun = this.reference.runs !== this.alignedRun && (echoOver || this.alignedRun === 0);
    if (newRun) {
      this.alignedRun = this.reference.runs;
      // The filter keeps what it has, including any drift it absorbed before it was measured.
      this.driftSamples -= this.drift.newRun(frame / this.framesPerSecond, this.runStartFrame / this.framesPerSecond);
      this.runStartDrift = this.driftSamples;
      this.runStartFrame = frame;
      // A run after a silence longer than any client buffers (a new answer) starts where the server placed it.
      if (this.reference.latestRunGap.samples > this.resetSkipAfterSamples) this.skipped = 0;
      const originMs = this.arrivals.originMs;
      if (Math.abs(originMs - this.alignedOriginMs) > ALIGNMENT_STEP_MS) {
        // By whole samples: the reading is rounded to a sample, and the filter has learnt the
        // sub-sample phase that rounding gives with its bulk delay. A fractional move rounded
        // one way or the other by that bulk delay's fraction, so the same client clock left one
        // filter aligned and another a sample off (office room, client 100 ppm slow, second
        // answer: ERLE 39 dB with one bulk delay, 14.6 with another 0.4 ms away).
        const first = !Number.isFinite(this.alignedOriginMs);
        this.alignedOriginMs = first ? originMs : this.alignedOriginMs + Math.round((originMs - this.alignedOriginMs) * this.samplesPerMs) / this.samplesPerMs;
      }
    }
    const wallMs = this.alignedOriginMs + (frame * this.frameSamples) / this.samplesPerMs;
    const position = this.reference.indexAt(wallMs) - this.driftSamples + this.skipped;
    this.driftSamples += this.drift.rate * this.frameSamples;
    return position;
  }

  /** The echo's delay behind the position of frame `frame` (samples: EchoLagMeter), measured while the filter cancels echo. */
  observeDelay(frame: number, delay: number): void {
    this.drift.observe(frame / this.framesPerSecond, delay, this.driftSamples - this.runStartDrift);
  }

  /**
   * Where the filter reads the reference for position `playFrom`: rounded to a sample (the filter
   * learnt the phase that rounding gives), plus the part of a sample a run was found off by;
   * through a drift, where it is.
   */
  reading(playFrom: number): number {
    const sub = this.subSample;
    if (this.driftRate !== 0) return playFrom;
    return sub === 0 ? Math.round(playFrom) : Math.round(playFrom - sub) + sub;
  }

  /** The part of a sample the reading was moved by (a run found between samples: fine-align.ts), in [-0.5, 0.5); 0 when none. */
  get subSample(): number {
    return this.skipped - Math.round(this.skipped);
  }

  /**
   * The client played on through silence the reference placed for a stall (it buffered more than
   * the server models): from now on every frame is read `samples` later, past that silence.
   */
  skipStall(samples: number): void {
    this.skipped += samples;
  }
}

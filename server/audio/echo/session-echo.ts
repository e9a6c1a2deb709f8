// A session's echo path: the reference of what it said (made on its first output audio) and
// the canceller on its microphone (made on the first input audio after that). A session
// that never speaks, or never listens, holds neither. Off (`duet.echo_cancellation: false`):
// no new answer is tapped and the canceller passes audio through, gate open.
import type { Metrics } from '../../metrics.js';
import { EchoCanceller } from './canceller.js';
import { EchoReference, type OutputAudioTap } from './reference.js';
import { speexAvailability } from './speex.js';

/** The turn detector's question to the echo path (see AudioFrontEnd's `onsetGate`). */
export interface SpeechOnsetGate {
  /**
   * False when speech may not start in front-end samples [start, end): it may be echo alone.
   * `continuing`: the frames before were a speech candidate the gate let through.
   */
  allowsOnset(start: number, end: number, continuing: boolean): boolean;
  /**
   * Whether the echo model is sound enough over [start, end) that a candidate it let through
   * clearly may carry on through these frames it held back (OnsetBridge); false when unsure.
   */
  mayBridge(start: number, end: number): boolean;
  /**
   * Whether [start, end), where the VAD heard speech the gate held back from starting, stands clear
   * enough of the echo to lead a candidate that starts right after it (OnsetLead, onset-lead.ts).
   */
  mayLead(start: number, end: number): boolean;
  /** The VAD heard speech there and the gate held it back. */
  suppressedOnset(): void;
}

export interface SessionEchoDeps {
  enabled: () => boolean;
  metrics: Pick<Metrics, 'echoErleDb' | 'echoResidualDbfs' | 'echoSuppressedOnsets' | 'echoReadingMoves'>;
}

export class SessionEcho {
  private reference: EchoReference | null = null;
  private canceller: EchoCanceller | null = null;
  /** Samples handed on before the canceller existed: where its output clock starts on the front-end's. */
  private cancellerStart = 0;
  private emitted = 0;

  private readonly tap: OutputAudioTap = {
    sent: (samples, rate, sentAtMs) => {
      this.reference ??= new EchoReference({ originMs: sentAtMs });
      this.reference.sent(samples, rate, sentAtMs);
    },
    cut: (atMs) => this.reference?.cut(atMs),
  };

  readonly onsetGate: SpeechOnsetGate = {
    allowsOnset: (start, end, continuing) => !this.canceller || this.canceller.allowsOnset(start - this.cancellerStart, end - this.cancellerStart, continuing),
    mayBridge: (start, end) => !!this.canceller && this.canceller.mayBridge(start - this.cancellerStart, end - this.cancellerStart),
    mayLead: (start, end) => !!this.canceller && this.canceller.mayLead(start - this.cancellerStart, end - this.cancellerStart),
    suppressedOnset: () => this.deps.metrics.echoSuppressedOnsets.inc(),
  };

  constructor(private readonly deps: SessionEchoDeps) {}

  /** Where a new answer's audio goes (null when the session turned echo cancellation off). */
  outputTap(): OutputAudioTap | null {
    return this.deps.enabled() ? this.tap : null;
  }

  /**
   * Microphone audio (16 kHz) that arrived at `arrivalMs` -> what the turn detector hears: the
   * input itself, or (through the canceller) a view of a buffer the next call reuses.
   */
  process(samples: Float32Array, arrivalMs: number): Float32Array {
    if (!this.canceller) {
      if (!this.reference || !this.deps.enabled()) {
        this.emitted += samples.length;
        return samples;
      }
      const { metrics } = this.deps;
      this.cancellerStart = this.emitted;
      this.canceller = new EchoCanceller({
        reference: this.reference,
        linear: speexAvailability().available,
        onEchoWindow: (erleDb, residualDbfs) => {
          metrics.echoErleDb.observe(erleDb);
          metrics.echoResidualDbfs.observe(residualDbfs);
        },
        onReadingMoved: (cause) => metrics.echoReadingMoves.inc({ cause }),
      });
    }
    this.canceller.bypass = !this.deps.enabled();
    const out = this.canceller.process(samples, arrivalMs);
    this.emitted += out.length;
    return out;
  }

  /** The frames the canceller holds back (a new answer's first: deferred-frames.ts), handed on now as they came. */
  flush(): Float32Array {
    if (!this.canceller) return new Float32Array(0);
    const out = this.canceller.flush();
    this.emitted += out.length;
    return out;
  }

  /** For tests and benchmarks: the delay the canceller aligned to, ms (null before it knows). */
  get delayMs(): number | null {
    return this.canceller?.delayMs ?? null;
  }

  /** For tests: the reference (null before the first output audio). */
  get outputReference(): EchoReference | null {
    return this.reference;
  }

  close(): void {
    this.canceller?.close();
    this.canceller = null;
    this.reference?.clear();
    this.reference = null;
  }
}

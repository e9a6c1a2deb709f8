// A new answer's first frames, held back from the turn detector while the filter is held for the
// answer's run (filter-trust.ts heldForRun: from the filter's first read of the run until its search
// ends, 100-150 ms after its echo arrives: stall-watch.ts). Those frames were judged by nothing:
// held, the filter cancels nothing and the gate vouches for none of it, so a user who spoke as the
// answer's echo arrived lost the first 100 ms of a word to the room's loudest echo bound, and the
// word fell short of the VAD's minimum speech (bench:echo answer-starts, 0 and 50 ms after the
// arrival: 64 of 64 missed or later than 100 ms).
//
// So they wait. When the run is found surely (FineAlign.surely) the filter hears them again at the
// reading found, in order (FilterTrust's replay), and each goes on as the filter cancelled it then,
// the gate's evidence for it revised as a trusted filter's (OnsetGate.reviseTrusted), and the user's
// voice heard there counted as double talk (FilterTrust.heardDoubleTalk). Found otherwise (the search
// ran out, or the hold's ring filled), they go on as they came, judged as they were. The cost is
// latency while the hold lasts, and only then: the VAD hears those frames 100-150 ms late, in one
// burst; a turn needs 250 ms of speech (the minimum) to start anyway.
import type { EstimateRise } from './estimate-rise.js';
import { echoEstimateEnergy, gateEnergy, meanSquare, type TiltedEnergies } from './frame-energy.js';
import type { OnsetGate } from './onset-gate.js';
import { ECHO_BLOCK_SAMPLES } from './reference.js';
import type { SpeexEchoCanceller } from './speex.js';

const FRAME = ECHO_BLOCK_SAMPLES;
/** Frames held back at most: the filter's hold ring (400 ms, echo-realign.ts) and a few to spare. */
export const MOST_DEFERRED = 48;

/** The canceller's parts a held frame heard again goes through, as a live frame does (canceller.ts processFrame). */
export interface DeferredFramesDeps {
  speex: SpeexEchoCanceller;
  estimateRise: EstimateRise;
  tilted: TiltedEnergies;
  gate: OnsetGate;
  /** The gate's margins (power ratios) for speech to start, and to go on: over the residual by the latter, the user stands out (the linear output goes on). */
  onsetMargin: number;
  continueMargin: number;
  /** Hands a frame on (FrameFraming.emit). */
  emit: (frame: Int16Array) => void;
  /** A vouched release ended on `frames` frames in a row of the user's voice (FilterTrust.heardDoubleTalk). */
  heardDoubleTalk: (frames: number) => void;
}

/** A held frame as the filter cancelled it when heard again: its linear output, the suppressed one, and what the gate is to judge. */
interface ReplayedFrame {
  readonly linear: Int16Array;
  readonly suppressed: Int16Array;
  /** The output's energy (as a live frame's outEnergy), the gate's part of it (gateEnergy), and the onset excess to expect (estimate-rise.ts). */
  outEnergy: number;
  gateEnergy: number;
  onsetExcess: number;
  /** The energy that says whether the user stands out (the linear output goes on): the linear output's where the suppressor was stale (see heardAgain), else outEnergy. */
  standsOutEnergy: number;
}

export class DeferredFrames {
  private readonly held: Int16Array[] = [];
  private readonly indices = new Float64Array(MOST_DEFERRED);
  /** The residual echo the gate expected in each held frame (its evidence's `residual`). */
  private readonly residuals = new Float64Array(MOST_DEFERRED);
  private count = 0;
  /** Held frames heard again, in order, as a ring: the last `count` of them are the held ones. */
  private readonly replays: ReplayedFrame[] = [];
  private replayed = 0;

  constructor(private readonly d: DeferredFramesDeps) {
    for (let k = 0; k < MOST_DEFERRED; k++) {
      this.held.push(new Int16Array(FRAME));
      this.replays.push({ linear: new Int16Array(FRAME), suppressed: new Int16Array(FRAME), outEnergy: 0, gateEnergy: 0, onsetExcess: 1, standsOutEnergy: 0 });
    }
  }

  /** Frames held back now. */
  get pending(): number {
    return this.count;
  }

  /** Whether another frame may be held back. */
  get hasRoom(): boolean {
    return this.count < MOST_DEFERRED;
  }

  /** Holds back frame `index` (copied), the gate expecting `residual` in it. */
  defer(index: number, frame: Int16Array, residual: number): void {
    if (!this.hasRoom) throw new RangeError('DeferredFrames: full (release first)');
    if (this.count === 0) this.replayed = 0;
    this.held[this.count]!.set(frame);
    this.indices[this.count] = index;
    this.residuals[this.count] = residual;
    this.count++;
  }

  /**
   * A held frame heard again (`mic`; `out`, the filter's linear output, `linearEnergy` its energy),
   * in order: suppressed and measured as a live frame is. `young`: the echo's delay not found yet;
   * `suppressorStale`: the suppressor has heard nothing since before the hold (its overlap holds a
   * frame from then: the lesser output is judged, as in processFrame); `drifting`: read through a
   * compensated clock drift (only the voice band is judged: gateEnergy).
   */
  heardAgain(mic: Int16Array, out: Int16Array, linearEnergy: number, young: boolean, suppressorStale: boolean, drifting = false): void {
    const replay = this.replays[this.replayed++ % MOST_DEFERRED]!;
    const { estimateRise, tilted } = this.d;
    estimateRise.push(echoEstimateEnergy(mic, out), tilted.measure(mic, out), young);
    replay.onsetExcess = estimateRise.excess(true);
    replay.linear.set(out);
    replay.suppressed.set(out);
    this.d.speex.suppress(replay.suppressed);
    const suppressedEnergy = meanSquare(replay.suppressed);
    replay.outEnergy = suppressorStale ? Math.min(suppressedEnergy, linearEnergy) : suppressedEnergy;
    replay.gateEnergy = gateEnergy(replay.suppressed, replay.outEnergy, drifting);
    // A stale suppressor's output says nothing of whether the user stands out: it may crush the
    // user as echo. Traced (office, -6 dB, a user speaking as a new answer's echo arrived): the
    // word's first 10 ms went 58 -> 23 dB, under the residual, so the crushed frame went on; the VAD
    // heard the word 224 ms long (alone 256), short of its minimum, and the barge-in came 992 ms late.
    replay.standsOutEnergy = suppressorStale ? linearEnergy : replay.outEnergy;
  }

  /**
   * Hands on every frame held back, oldest first: as the filter cancelled it when it heard it
   * again, judged as a trusted filter's where the gate vouches for the filter now (`vouched`: the
   * run found surely, run-proof.ts) and every frame held was heard again, the suppressed output
   * unless the user stands out (as live);
   * as it came where it was not heard again (only the last frames heard are the held ones) and
   * where nothing was (`asCame`: a flush, or the run not found surely). Vouched, the frames in a row it
   * ended on whose output stood over what the gate lets pass alone are the user's voice, the filter
   * aligned by the search: double talk (heardDoubleTalk).
   */
  release(vouchedNow: boolean, asCame = false): void {
    const first = this.replayed - this.count;
    // Fewer frames heard again than held (the search outlasted the frames the hold keeps): the
    // first ones heard again met a filter that had not heard the frames before them, whose echo
    // they hold (the small room's main tap is 9 frames deep), and left it whole. Judged as a trusted
    // filter's, the echo alone paused an answer (two devices, 0 dB: a new answer's first 210 ms
    // held while its run was searched for, the last 10 of those 21 frames heard again, cancelled
    // 0-4 dB, 20-26 dB over the residual).
    const vouched = vouchedNow && first >= 0;
    let doubleTalk = 0;
    for (let k = 0; k < this.count; k++) {
      const r = first + k;
      const replay = !asCame && r >= 0 && this.replayed - r <= MOST_DEFERRED ? this.replays[r % MOST_DEFERRED]! : null;
      if (!replay) {
        this.d.emit(this.held[k]!);
        doubleTalk = 0;
        continue;
      }
      const residual = this.residuals[k]!;
      // The run found surely, the filter aligned: output over what the gate lets pass alone is the user's.
      doubleTalk = vouched && replay.outEnergy > residual * this.d.onsetMargin ? doubleTalk + 1 : 0;
      if (vouched) this.d.gate.reviseTrusted(this.indices[k]!, replay.gateEnergy, replay.onsetExcess);
      this.d.emit(vouched && replay.standsOutEnergy <= residual * this.d.continueMargin ? replay.suppressed : replay.linear);
    }
    this.count = 0;
    this.replayed = 0;
    if (vouched) this.d.heardDoubleTalk(doubleTalk);
  }
}

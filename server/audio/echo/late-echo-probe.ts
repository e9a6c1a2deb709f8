// A short underrun in a pause of the answer leaves a trusted filter reading the echo a few tens of
// ms early, and nothing says so: the gap's frames are too quiet to judge the filter by, and when
// the echo comes back a filter 10-30 ms off still cancels it a few dB (espeak's steady pitch: the
// echo a few periods off predicts itself in part), which counts as aligned. Left so, the leak
// learns the misaligned filter's output (-27 -> -13 dB in a second), the echo passes the gate at
// times, and the user's words after it are held (bench:echo short underruns, office room: 4
// barge-ins missed). Distrusting the filter there instead held it while the user spoke as the
// echo came back: the search cannot confirm a move under a voice as loud as the echo, the leak was
// forgotten after the hold, and 4 barge-ins that had been heard within 100 ms came 600-1000 ms late.
//
// So the filter stays trusted and runs; where it predicted a new sound (its estimate rising, far
// over a quiet microphone) that did not come, the echo is looked for at other readings as after a
// distrust (EchoRealigner with the filter's response then, shadow-echo.ts) for up to 400 ms. A move
// confirmed is taken (the frames since replayed at it); nothing found, or the echo where placed,
// and nothing changes. A blurred move is refined until sharp: taken raw, 3 samples off, it left the
// near room's filter cancelling nothing and the echo started a turn. Readings are probed to 64 ms
// later only: over the whole range the probe found longer underruns' echo first, the filter, run
// on meanwhile, cancelled little after the move, and the echo started 2 turns (bench:echo realigns).
// Measured (bench:echo short underruns, against the code before in the same session): office
// barge-ins 544 -> 64 ms (-6 dB, 50 ms 2 s in) and 96 -> 64 (0 dB, 10 ms 3 s in); the 4 missed
// remain (the filter, run misaligned for the 100-200 ms before a move is confirmed, cancels little
// after it), and one late cell came later (0 dB, 50 ms 2 s in: 544 -> 1696 ms). Those the early
// filter mends while it runs (the first seconds: early-echo.ts), finding the move itself as the
// echo comes back, before the user's word; a move found there is replayed through this probe's
// history (replay).
import { CLEARLY_BETTER, EchoRealigner } from './echo-realign.js';
import type { EchoReference } from './reference.js';
import { ShadowEcho } from './shadow-echo.js';

/** The readings probed: from 64 ms later than placed (a short gap) to 10 ms earlier, samples at 16 kHz. */
const PROBED = { min: -64 * 16, max: 10 * 16 };

export class LateEchoProbe {
  private readonly realigner: EchoRealigner;
  private readonly shadow = new ShadowEcho();
  /** The frame the probe under way began at (NaN: none). */
  private since = Number.NaN;

  constructor(
    frameSamples: number,
    private readonly reference: EchoReference,
    private readonly response: () => Int32Array,
  ) {
    this.realigner = new EchoRealigner(frameSamples, true, CLEARLY_BETTER);
  }

  /** Keeps a microphone frame and where the filter read the reference for it. */
  record(mic: Int16Array, readFrom: number, held: boolean): void {
    this.realigner.record(mic, readFrom, held);
  }

  /** At frame `frame` the filter predicted a new sound that did not come: a probe begins, unless one is under way. */
  start(frame: number): void {
    if (!Number.isNaN(this.since)) return;
    this.shadow.load(this.response());
    this.realigner.distrusted();
    this.since = frame;
  }

  /** Whether a probe is under way. */
  get probing(): boolean {
    return !Number.isNaN(this.since);
  }

  /** Ends the probe under way (the filter was distrusted: its own search takes over). */
  stop(): void {
    this.since = Number.NaN;
  }

  /** At a frame's end, the filter trusted and run (`loud`: the microphone loud enough to search): the move found (samples; negative: the echo comes later), or 0. */
  step(loud: boolean): number {
    if (Number.isNaN(this.since)) return 0;
    // The realigner's hold span (400 ms) bounds the probe, as it bounds a search after a distrust.
    if (!this.realigner.holding) {
      this.stop();
      return 0;
    }
    if (!loud || !this.realigner.due) return 0;
    const move = this.realigner.search((mic, from, minShift, maxShift) => this.shadow.bestShift(mic, this.reference, from, minShift, maxShift), PROBED);
    if (move === null) this.stop();
    return move ?? 0;
  }

  /**
   * After a move found at frame `frame` (by the probe, or elsewhere: the early filter's, `frames`
   * frames after the echo moved): the frames kept since the probe began, or those, moved by it, for
   * the filter to hear again; a probe under way ends.
   */
  replay(move: number, each: (mic: Int16Array, readFrom: number) => void, frame: number, frames = 0): void {
    this.realigner.replay(move, each, Math.max(this.probing ? frame - this.since + 1 : 0, frames));
    this.stop();
  }
}

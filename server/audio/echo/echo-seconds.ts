// The canceller's per-second statistics: whether a second was mostly echo (the drift tracker
// observes the filter only then), and for seconds of echo alone its ERLE and residual level
// (the session's metrics histograms, through onEchoWindow).

/** Frames in a second, and how many must carry echo for it to count as a second of echo, or to measure. */
const FRAMES = 100;
const ECHO_SECOND_FRAMES = 50;
const MEASURED_FRAMES = 80;

export class EchoSeconds {
  private frames = 0;
  private echoFrames = 0;
  private mic = 0;
  private out = 0;
  private nearEnd = false;

  /** `onEchoWindow`: ERLE (dB) and residual (dBFS) of each second of echo with no near-end speech; `onsetMargin`: the output over the residual beyond which the user may be speaking (a power ratio). */
  constructor(
    private readonly onsetMargin: number,
    private readonly onEchoWindow?: (erleDb: number, residualDbfs: number) => void,
  ) {}

  /** One frame (energies, mean squares in int16 units; `active`: echo can be in it). True at the end of a second that was half echo at least. */
  frame(active: boolean, mic: number, out: number, residual: number): boolean {
    this.frames++;
    if (active) {
      this.echoFrames++;
      this.mic += mic;
      this.out += out;
      if (out > residual * this.onsetMargin) this.nearEnd = true;
    }
    if (this.frames < FRAMES) return false;
    const echoSecond = this.echoFrames >= ECHO_SECOND_FRAMES;
    if (this.onEchoWindow && this.echoFrames >= MEASURED_FRAMES && !this.nearEnd && this.out > 0) {
      this.onEchoWindow(10 * Math.log10(this.mic / this.out), 10 * Math.log10(this.out / this.echoFrames / 32768 ** 2));
    }
    this.frames = this.echoFrames = 0;
    this.mic = this.out = 0;
    this.nearEnd = false;
    return echoSecond;
  }
}

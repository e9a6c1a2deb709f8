// The onset gate's memory and judgement: what each 10 ms frame of the echo canceller showed (its
// evidence, recorded as the frame is processed), and whether the VAD frames over a span of them
// may start speech, or carry a candidate on. Why each kind of evidence exists: canceller.ts.

/** Frames remembered (5.1 s): the VAD asks about frames a few hundred ms old at most. */
const RECORDS = 512;
/** Margins of the microphone over the envelope model's echo (EchoEnvelope) for speech to start, and go on. */
const ENVELOPE_ONSET_MARGIN = 10 ** (9 / 10);
const ENVELOPE_CONTINUE_MARGIN = 10 ** (3 / 10);
/**
 * Shares of the microphone's energy in bands clear of the echo (EchoSpectrum) for speech to start,
 * and go on. A user's first VAD frame over the echo is 0.6-1.0 clear; the far room's echo alone 1.8
 * s in, a young band model under-predicting a new sound's low bands by 9-10 dB, was 0.41 clear and
 * paused the answer (bench:echo pauses: 3 of 48 at 0.3; a few barge-ins 32 ms later at 0.45).
 */
const SPECTRAL_ONSET_SHARE = 0.45;
const SPECTRAL_CONTINUE_SHARE = 0.15;
/**
 * Shares of the microphone no reading of the reference explains (EchoRealigner.unexplained) for
 * speech to start, and go on. The echo went missing (the client ran dry) and the user spoke into
 * the gap: the distrusted filter left only the room's loudest echo bound, as loud as the user at
 * 0 dB (bench:echo underrun rows, far room: 3 barge-ins missed). Echo found at any reading is
 * explained over 0.6 by the room the filter knew; the gap's first windows, the echo's tail and
 * chance, 0.17-0.19. Going on, the echo comes back under the user's voice: the user holds half.
 */
const NOT_ECHO_ONSET_SHARE = 0.9;
const NOT_ECHO_CONTINUE_SHARE = 0.5;
/** Margins of the early filter's residual over the residual echo it expects (EarlyEcho) for speech to start, and go on. */
const EARLY_ONSET_MARGIN = 10 ** (9 / 10);
const EARLY_CONTINUE_MARGIN = 10 ** (3 / 10);
/**
 * Margin of the filter's output over its residual estimate (not raised at the echo's onsets) for a
 * frame the gate held back from starting speech to lead a candidate starting right after it
 * (onset-lead.ts): between the margins to go on (6 dB) and to start (12 dB, raised by up to 6 dB at
 * the echo's onsets). A user's quiet first VAD frame under the echo of a new answer stood 9.9-10.9
 * dB over it; the echo of a filter misaligned by an underrun, 6.1 dB, before frames it passed 14-24
 * dB over (bench:echo, the office room at +6 dB, an underrun 3 s in).
 */
const LEAD_MARGIN = 10 ** (9 / 10);
/** Frames before a bridged span in which the echo models must have heard the user, for frames just distrusted to be bridged (250 ms: the VAD's minimum speech). */
const FRESH_LOOKBACK = 25;
/** Margins over the raw echo bound while the filter is distrusted (3 and 1 dB: the bound holds 6 dB of safety itself). */
const RAW_ONSET_MARGIN = 10 ** (3 / 10);
const RAW_CONTINUE_MARGIN = 10 ** (1 / 10);

/** One frame's evidence: the canceller fills `OnsetGate.next`, then commits it. Energies are mean squares, int16 units. */
export interface FrameEvidence {
  /** Reference audio can echo in the frame. */
  active: boolean;
  /** The adaptive filter was aligned with the echo (FilterTrust, filter-trust.ts). */
  trusted: boolean;
  /** The canceller's output, and the microphone. */
  outEnergy: number;
  micEnergy: number;
  /** The residual echo to expect after the filter: the loudest reference that can echo, times the leak. */
  residual: number;
  /** How much more residual to expect for speech to start (not to go on): more than 1 at the echo's onsets (estimate-rise.ts). */
  onsetExcess: number;
  /** The loudest echo the path bound allows where that is a worst case and faint; Infinity elsewhere (faintBoundEcho, echo-path-bound.ts). */
  boundEcho: number;
  /** The loudest echo the room can return at any delay (EchoPathBound), while the filter is distrusted; 0 otherwise. */
  rawResidual: number;
  /** The echo the envelope model predicts (EchoEnvelope); 0 while it is unusable. */
  envelopeEcho: number;
  /** The microphone's energy in bands clear of the echo, and in all bands (EchoSpectrum); total 0 while it is unusable. */
  spectralClear: number;
  spectralTotal: number;
  /** The spectral model may start speech (not just carry a candidate on): false for a while after the filter forgot the room (EchoCanceller). */
  spectralMayStart: boolean;
  /** The echo models may start speech: false while the envelope model fits the echo better at another delay (EchoEnvelope.aligned). */
  modelsMayStart: boolean;
  /** The adaptive filter, trusted, cancels the echo deeply (its leak low), or the early filter does: the echo is well modelled without the echo models. */
  filterCancels: boolean;
  /** The filter was distrusted just now, trusted and proven before: a candidate it let start may be bridged. */
  freshDistrust: boolean;
  /** What the early filter left of the frame, and the residual echo it expects (EarlyEcho, early-echo.ts; its own units); both 0 where it vouches for nothing. */
  earlyResidual: number;
  earlyExpected: number;
  /** The early filter only witnesses the echo (EarlyEcho.witnessing): its word may hold the frame back, not let speech start or go on. */
  earlyWitnessOnly: boolean;
}

export class OnsetGate {
  /** The evidence of the frame being processed, written by the canceller before commit(). */
  readonly next: FrameEvidence = { active: false, trusted: true, outEnergy: 0, micEnergy: 0, residual: 0, onsetExcess: 1, boundEcho: 0, rawResidual: 0, envelopeEcho: 0, spectralClear: 0, spectralTotal: 0, spectralMayStart: true, modelsMayStart: true, filterCancels: false, freshDistrust: false, earlyResidual: 0, earlyExpected: 0, earlyWitnessOnly: false };
  private readonly onsetMargin: number;
  private readonly continueMargin: number;
  private frames = 0;
  private readonly active = new Uint8Array(RECORDS);
  private readonly trusted = new Uint8Array(RECORDS);
  private readonly outEnergy = new Float32Array(RECORDS);
  private readonly micEnergy = new Float32Array(RECORDS);
  private readonly residual = new Float32Array(RECORDS);
  private readonly onsetExcess = new Float32Array(RECORDS);
  private readonly boundEcho = new Float32Array(RECORDS);
  private readonly rawResidual = new Float32Array(RECORDS);
  private readonly envelopeEcho = new Float32Array(RECORDS);
  private readonly spectralClear = new Float32Array(RECORDS);
  private readonly spectralTotal = new Float32Array(RECORDS);
  private readonly spectralMayStart = new Uint8Array(RECORDS);
  private readonly modelsMayStart = new Uint8Array(RECORDS);
  private readonly filterCancels = new Uint8Array(RECORDS);
  private readonly freshDistrust = new Uint8Array(RECORDS);
  private readonly earlyResidual = new Float64Array(RECORDS);
  private readonly earlyExpected = new Float64Array(RECORDS);
  private readonly earlyWitnessOnly = new Uint8Array(RECORDS);
  /** The echo models heard the user clear of the echo in the frame, as they would start speech (the envelope model over its onset margin, or the spectral model's clear share over a microphone above the echo's predicted loudness), while they may. */
  private readonly modelsHearUser = new Uint8Array(RECORDS);
  /** The share of a frame's microphone no reading of the reference explains, found after it was committed (markUnexplained), and the frame index it is for (stale entries hold older ones). */
  private readonly unexplained = new Float32Array(RECORDS);
  private readonly unexplainedFrame = new Float64Array(RECORDS).fill(-1);
  /** Whether that share may start speech, or only carry a candidate on (markUnexplained's `mayStart`). */
  private readonly unexplainedStarts = new Uint8Array(RECORDS);

  /** Margins (power ratios) of the output over the residual estimate for speech to start, and go on. */
  constructor(onsetMargin: number, continueMargin: number) {
    this.onsetMargin = onsetMargin;
    this.continueMargin = continueMargin;
  }

  /** Records `next` as the next frame's evidence. */
  commit(): void {
    const i = this.frames % RECORDS;
    const e = this.next;
    this.active[i] = e.active ? 1 : 0;
    this.trusted[i] = e.trusted ? 1 : 0;
    this.outEnergy[i] = e.outEnergy;
    this.micEnergy[i] = e.micEnergy;
    this.residual[i] = e.residual;
    this.onsetExcess[i] = e.onsetExcess;
    this.boundEcho[i] = e.boundEcho;
    this.rawResidual[i] = e.rawResidual;
    this.envelopeEcho[i] = e.envelopeEcho;
    this.spectralClear[i] = e.spectralClear;
    this.spectralTotal[i] = e.spectralTotal;
    this.spectralMayStart[i] = e.spectralMayStart ? 1 : 0;
    this.modelsMayStart[i] = e.modelsMayStart ? 1 : 0;
    this.filterCancels[i] = e.filterCancels ? 1 : 0;
    this.freshDistrust[i] = e.freshDistrust ? 1 : 0;
    this.earlyResidual[i] = e.earlyResidual;
    this.earlyExpected[i] = e.earlyExpected;
    this.earlyWitnessOnly[i] = e.earlyWitnessOnly ? 1 : 0;
    const envelopeHears = e.envelopeEcho > 0 && e.micEnergy > e.envelopeEcho * ENVELOPE_ONSET_MARGIN;
    const spectrumHears = e.spectralMayStart && e.spectralTotal > 0 && e.envelopeEcho > 0 && e.micEnergy > e.envelopeEcho && e.spectralClear > e.spectralTotal * SPECTRAL_ONSET_SHARE;
    this.modelsHearUser[i] = e.active && e.modelsMayStart && (envelopeHears || spectrumHears) ? 1 : 0;
    this.frames++;
  }

  /**
   * In frames [first, last), already committed, the search for a missing echo found `share` of the
   * microphone unexplained (FilterTrust.unexplained); `mayStart` false: the share may only carry a
   * candidate on. A frame keeps the most any search found, and may start if any such search said so.
   */
  markUnexplained(first: number, last: number, share: number, mayStart: boolean): void {
    for (let k = Math.max(first, this.frames - RECORDS); k < Math.min(last, this.frames); k++) {
      const i = k % RECORDS;
      const again = this.unexplainedFrame[i] === k;
      this.unexplained[i] = again ? Math.max(this.unexplained[i]!, share) : share;
      this.unexplainedStarts[i] = (again && this.unexplainedStarts[i]) || (mayStart && share >= NOT_ECHO_ONSET_SHARE) ? 1 : 0;
      this.unexplainedFrame[i] = k;
    }
  }

  /**
   * Frame `index`, committed and not yet handed on (held back while the filter was held for a new
   * answer's run: deferred-frames.ts), judged again as a trusted filter's that left `outEnergy`,
   * its onsets' residual raised by `onsetExcess`.
   */
  reviseTrusted(index: number, outEnergy: number, onsetExcess: number): void {
    if (index < this.frames - RECORDS || index >= this.frames) return;
    const i = index % RECORDS;
    this.trusted[i] = 1;
    this.outEnergy[i] = outEnergy;
    this.onsetExcess[i] = onsetExcess;
    this.rawResidual[i] = 0;
  }

  /**
   * Whether speech may start in frames [first, last): false when, while the reference was
   * audible, the output there stayed within the residual echo estimate plus the margin (a
   * smaller one when `continuing` a candidate the gate let start: a word's quieter end; to start,
   * the estimate is higher at the echo's onsets: onsetExcess, estimate-rise.ts), and
   * neither the envelope model nor the spectral one hears the user clear of the echo, nor does
   * the early filter leave enough over what it expects.
   */
  allowsOnset(first: number, last: number, continuing: boolean): boolean {
    let heard = 0;
    let echo = 0;
    let anyActive = false;
    let mic = 0;
    let envelopeEcho = 0;
    let envelopeKnown = true;
    let spectralClear = 0;
    let spectralTotal = 0;
    let spectralKnown = true;
    let allTrusted = true;
    let spectralMayStart = true;
    let modelsMayStart = true;
    let earlyResidual = 0;
    let earlyExpected = 0;
    let earlyKnown = true;
    let earlyMayAllow = true;
    // The raw bound is a worst case already (EchoPathBound): a smaller margin over it.
    const rawMargin = continuing ? RAW_CONTINUE_MARGIN : RAW_ONSET_MARGIN;
    const rawOverMargin = rawMargin / (continuing ? this.continueMargin : this.onsetMargin);
    for (let k = first; k < last; k++) {
      if (k < this.frames - RECORDS || k >= this.frames) continue;
      const i = k % RECORDS;
      if (this.active[i]) anyActive = true;
      // A misaligned filter's residual estimate means nothing: the echo passes it whole. Then
      // the microphone itself must stand above the loudest echo the room can return.
      const trusted = !this.active[i] || this.trusted[i];
      if (!trusted) allTrusted = false;
      // The user's voice is in the microphone: a filter that adds energy (out above the mic: its
      // echo estimate is wrong) shows no more of the user than the microphone holds.
      heard += trusted ? Math.min(this.outEnergy[i]!, this.micEnergy[i]!) : this.micEnergy[i]!;
      // The residual estimate is a high percentile, hence its wide margin; where the path bound
      // caps it (a headset's leak sits at the bound), an onset clear of the bound by the raw
      // margin cannot be echo alone, whatever the estimate says.
      // The search for a missing echo found no reading of the reference explaining the microphone there: no echo in it (see NOT_ECHO_ONSET_SHARE).
      const notEcho = !trusted && this.unexplainedFrame[i] === k && (continuing ? this.unexplained[i]! >= NOT_ECHO_CONTINUE_SHARE : this.unexplainedStarts[i] === 1);
      const residual = continuing ? this.residual[i]! : this.residual[i]! * this.onsetExcess[i]!;
      if (!notEcho) echo += trusted ? Math.min(residual, this.boundEcho[i]! * rawOverMargin) : this.rawResidual[i]! * rawOverMargin;
      if (this.active[i]) {
        mic += this.micEnergy[i]!;
        envelopeEcho += this.envelopeEcho[i]!;
        if (this.envelopeEcho[i] === 0) envelopeKnown = false;
        if (this.spectralTotal[i] === 0) spectralKnown = false;
        if (!this.spectralMayStart[i]) spectralMayStart = false;
        if (!this.modelsMayStart[i]) modelsMayStart = false;
        spectralClear += this.spectralClear[i]!;
        spectralTotal += this.spectralTotal[i]!;
        if (this.earlyExpected[i] === 0) earlyKnown = false;
        if (this.earlyWitnessOnly[i]) earlyMayAllow = false;
        earlyResidual += this.earlyResidual[i]!;
        earlyExpected += this.earlyExpected[i]!;
      }
    }
    // The early filter, where it vouches, explains the frame within the residual it expects: echo.
    // SpeexDSP's young filter may then leave more than its leak says, and the spectral model hear
    // "clear" bands (the socket's echo alone, small room: 2.4 s in, the filter's output 14 dB over
    // its residual, the early filter's 3-5 dB under what it expects; 1.7 s in, 46% clear, 25 dB
    // under). A user adds what the early filter cannot explain: at 0 dB, 10-20 dB over it.
    const earlyExplains = !continuing && earlyKnown && earlyResidual <= earlyExpected;
    if (!anyActive || (heard > echo * (continuing ? this.continueMargin : this.onsetMargin) && !earlyExplains)) return true;
    // The filter cannot yet vouch for the user's voice; the envelope model may: the microphone
    // clearly above the echo it predicts, and above the loudest echo the room can return.
    if (envelopeKnown && (continuing || modelsMayStart) && mic > envelopeEcho * (continuing ? ENVELOPE_CONTINUE_MARGIN : ENVELOPE_ONSET_MARGIN)) return true;
    // Or the early filter (early-echo.ts): what it leaves clearly above the residual it expects.
    if (earlyKnown && earlyMayAllow && (continuing || (allTrusted && modelsMayStart)) && earlyResidual > earlyExpected * (continuing ? EARLY_CONTINUE_MARGIN : EARLY_ONSET_MARGIN)) return true;
    // Or the spectral model: the user's voice clear of the echo in bands holding a good share of
    // the microphone's energy. The user adds to the echo: a microphone under the echo's predicted
    // loudness is the echo alone, and so is one the early filter explains (above).
    return spectralKnown && (continuing || (allTrusted && spectralMayStart && modelsMayStart && mic > envelopeEcho && !earlyExplains)) && spectralClear > spectralTotal * (continuing ? SPECTRAL_CONTINUE_SHARE : SPECTRAL_ONSET_SHARE);
  }

  /**
   * Whether a candidate may carry on through frames [first, last) though allowsOnset held it back
   * (OnsetBridge): only where the echo is well modelled (the envelope model usable, or the filter
   * cancelling it deeply, and the filter trusted in every frame that can echo), or where the path
   * bound says any echo is faint. Or where the filter, vouched for until then, was just distrusted
   * (freshDistrust) and the echo models heard the user clear of the echo in the 250 ms before
   * (FRESH_LOOKBACK): the user began in a pause of the echo, and the echo coming back late after an
   * underrun distrusted the filter under the word (far room, a 30 ms underrun 3 s into a first
   * answer: the candidate was cut 20 ms short of the VAD's 250 ms, and heard 1.1 s late; the near
   * room at 0 dB, 10 ms 2 s in, heard by the spectral model only: 544 ms late). The models' word
   * is needed: the echo itself, passing a filter that reads it at the wrong place (a silence the
   * client played through), earns a candidate as well before the distrust comes.
   */
  mayBridge(first: number, last: number): boolean {
    // Whether the models heard the user before the span: asked once, at the first frame just distrusted.
    let heardBefore: boolean | undefined;
    for (let k = first; k < last; k++) {
      if (k < this.frames - RECORDS || k >= this.frames) return false;
      const i = k % RECORDS;
      if (this.freshDistrust[i] && (heardBefore ??= this.modelsHeardUser(first - FRESH_LOOKBACK, first))) continue;
      if (this.active[i] && ((this.envelopeEcho[i] === 0 && this.boundEcho[i] === Number.POSITIVE_INFINITY && !this.filterCancels[i]) || !this.trusted[i])) return false;
    }
    return true;
  }

  /**
   * Whether frames [first, last), held back from starting speech, may lead a candidate starting
   * right after them (OnsetLead): the filter trusted wherever the reference was audible, its output
   * over its residual estimate by LEAD_MARGIN (or over the faint path bound by the raw margin).
   */
  mayLead(first: number, last: number): boolean {
    let heard = 0;
    let echo = 0;
    for (let k = first; k < last; k++) {
      if (k < this.frames - RECORDS || k >= this.frames) return false;
      const i = k % RECORDS;
      if (this.active[i] && !this.trusted[i]) return false;
      heard += Math.min(this.outEnergy[i]!, this.micEnergy[i]!);
      echo += Math.min(this.residual[i]!, (this.boundEcho[i]! * RAW_ONSET_MARGIN) / LEAD_MARGIN);
    }
    return heard > echo * LEAD_MARGIN;
  }

  /** Whether the echo models heard the user clear of the echo in any of frames [first, last). */
  private modelsHeardUser(first: number, last: number): boolean {
    for (let k = Math.max(first, this.frames - RECORDS); k < Math.min(last, this.frames); k++) if (this.modelsHearUser[k % RECORDS]) return true;
    return false;
  }
}

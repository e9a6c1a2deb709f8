// A fast model of the echo's loudness, for the first seconds of a session, while the adaptive
// filter is still learning the room (it needs 2-5 s of the assistant's speech to cancel 20 dB).
//
// The microphone's 10 ms amplitude (root mean square) is predicted as a non-negative combination
// of the reference's amplitudes over the last ECHO_ENVELOPE_TAPS blocks (750 ms: any delay in
// range, up to 500 ms, plus a room tail), learnt by normalised LMS. Seventy-five envelope taps learn in about a second
// what the sample-domain filter (4800 taps) needs seconds for, because loudness carries no phase:
// on the simulated rooms, from 1 s on, no 10 ms block of echo came more than 6.3 dB above the
// prediction (bench:echo's early rows; `npm run bench:echo`). It cannot cancel anything; it only
// says how loud the echo in a frame can be, so a user clearly louder than that is heard.
// The microphone while the user speaks over the echo would teach it the user's voice: after the
// first second, a frame 6 dB above the prediction stops learning for 300 ms. It stands down (and
// relearns) after a delay jump: seen as the echo missing, or by the path bound (standDown).

import { EchoShift, SHIFT_BLOCKS } from './echo-shift.js';

/** 10 ms blocks of reference the echo in a frame may come from. */
export const ECHO_ENVELOPE_TAPS = 75;
/** NLMS step. */
export const STEP = 0.5;
/**
 * Once trained, a frame louder than the prediction teaches it at half that step. At the full step
 * the prediction chased a user whose word rose a few dB a frame (each frame under the 6 dB
 * double-talk bar): 20 dB above the echo by the word's middle, the user was predicted as echo
 * and a barge-in 3 s into a far room's first answer was lost. Quieter frames still teach at once.
 */
export const STEP_UP_TRAINED = 0.25;
/** Amplitude over the prediction above which the user may be speaking (2x: 6 dB; the echo alone stayed within 6.3 dB). */
const DOUBLE_TALK_RATIO = 2;
/** After such a frame nothing is learnt for this long (300 ms): the rest of the user's word would teach it their voice. */
const DOUBLE_TALK_HOLD_FRAMES = 30;
/**
 * A delay jump (the client ran dry and plays the rest later) first shows as the echo missing: the
 * microphone this far below what the echo path predicts (1/4: -12 dB) for DROPOUT_FRAMES frames
 * in a row. The prediction then means nothing for DISTRUST_FRAMES (1 s) while it relearns,
 * holding nothing back.
 *
 * The path's prediction leaves out the taps shorter than its first strong one (PATH_START_SHARE
 * of the strongest): the speech envelope's own correlation teaches them a little, and at a word
 * after a pause they predicted its echo 50 ms before it could come. That was taken for a
 * dropout, the model stood down 1.5 s, and barge-ins after short stalls were missed (small room: a
 * 30 ms stall 300 ms into a second answer). Without those false dropouts a shorter run (40 ms, was 50)
 * finds short underruns, and a second of relearning (was 1.5 s) is enough (the canceller then
 * waits for the echo to confirm it: relearning): bench:echo's longer-stall rows missed 10 -> 7,
 * underrun rows 4 -> 3, partial-stall rows 3 -> 2 of 96/96/48, and no row starts more turns.
 */
const DROPOUT_RATIO = 0.25;
const DROPOUT_FRAMES = 4;
const PATH_START_SHARE = 0.1;
/**
 * Nor is the echo missing where the path's main lobe (its taps at half the strongest or more)
 * predicts little of it (under MAIN_LOBE_MIN_SHARE of the path's prediction): a pause in the
 * answer has reached the direct path, and what the prediction still holds is its tail's taps (the
 * far room after a second: 20-30% of the strongest, 150-250 ms past it), which the envelope's
 * smear overstates. Such a pause was taken for a dropout, and the model stood down as the user
 * spoke (the far room at 0 dB, 3 s into a first answer: predicted 41 dB where the microphone held
 * the noise floor, 25). A share, not a level: the model unlearns a missing echo as it goes (each
 * such frame halves its prediction), and a level test let a real dropout of a quiet echo pass
 * unseen. bench:echo's longer-stall rows: missed 6 -> 1 of 96 (two barge-ins 992/1696 -> 64 ms,
 * two missed ones heard 1856 ms late); a partial-stall one 960 -> 192 ms; a check script of
 * 10-50 ms underruns in a first answer (48): missed 11 -> 6, echo-only turns 7 -> 7. It leaned on
 * two rules it came with: canceller.ts (the residual without the filter) and REACH_TAIL_TAPS.
 */
const MAIN_LOBE_SHARE = 0.5;
const MAIN_LOBE_MIN_SHARE = 0.2;
const DISTRUST_FRAMES = 100;
/**
 * The model vouches for nothing while its strongest tap lies within this many taps (120 ms, the
 * room tail the filter spans: FILTER_TAIL_MS) of its last: the echo came later than the delays it
 * was built for (500 ms), and its tail lies past the taps, unpredicted. The far room after a 300 ms
 * underrun (730 ms): at +6 dB the spectral model took the tail's bands for the user's and the
 * echo started a turn (bench:echo rooms' long-underrun column), once the model no longer stood
 * down at the answer's pauses (MAIN_LOBE_SHARE).
 */
const REACH_TAIL_TAPS = 12;
/** Predicted echo energy (int16 units) below which a missing echo says nothing (~ -60 dBFS). */
const AUDIBLE_ECHO = 1000;
/** Reference energy (sum of squares over the taps, int16 units) below which nothing is learnt. */
const MIN_REFERENCE_ENERGY = 10;
/** Frames of active reference learnt from before the prediction is used. */
export const TRAINED_AFTER_FRAMES = 100;

export class EchoEnvelope {
  private readonly weights = new Float64Array(ECHO_ENVELOPE_TAPS);
  private readonly refAmp = new Float64Array(ECHO_ENVELOPE_TAPS);
  private learnt = 0;
  private holdFrames = 0;
  private missingFrames = 0;
  private distrustFrames = 0;
  private learntLast = false;
  /** The reference amplitudes frame() read, from SHIFT_BLOCKS before the taps to as many past them, and whether the prediction fits best at its own delay (echo-shift.ts). */
  private readonly shiftAmps = new Float64Array(ECHO_ENVELOPE_TAPS + 2 * SHIFT_BLOCKS);
  private readonly shift = new EchoShift();
  /** The tap the echo path is strongest at, as of the last frame(). */
  private peakTap = 0;

  /** Whether the prediction has learnt enough to be used. */
  get trained(): boolean {
    return this.learnt >= TRAINED_AFTER_FRAMES;
  }

  /** Whether the last frame taught the model (no double-talk hold, reference to learn from). */
  get learntLastFrame(): boolean {
    return this.learntLast;
  }

  /** Whether the prediction may be used now: trained, no delay jump being relearnt, and the echo within its reach (REACH_TAIL_TAPS). */
  get usable(): boolean {
    return this.trained && this.distrustFrames === 0 && this.peakTap < ECHO_ENVELOPE_TAPS - REACH_TAIL_TAPS;
  }

  /** Whether the prediction fits the echo best at the delays it learnt (echo-shift.ts): false after a short underrun moved the echo, until relearnt. */
  get aligned(): boolean {
    return this.shift.aligned;
  }

  /** Whether a delay jump is being relearnt (trained, but standing down). */
  get relearning(): boolean {
    return this.trained && this.distrustFrames > 0;
  }

  /** The reading moved to where a search found the echo: the fit at other delays, judged at the old reading, starts over (echo-shift.ts). */
  readingMoved(): void {
    this.shift.reset();
  }

  /**
   * The echo moved, as something else saw (EchoPathBound.push): the prediction means nothing
   * until relearnt, as after a dropout it sees itself.
   */
  standDown(): void {
    if (!this.trained) return;
    this.distrustFrames = DISTRUST_FRAMES;
    this.holdFrames = 0;
  }

  /**
   * One 10 ms frame: the reference's block energies (mean square) from the block playing now
   * back (`refEnergy(k)`, k = 0 .. TAPS - 1, and SHIFT_BLOCKS either side: negative k for blocks sent ahead) and the microphone's energy; `echoExpected` false
   * when something surer (the converged filter) heard no echo: a quiet microphone is then no
   * dropout. Returns the echo energy
   * predicted for this frame before learning from it.
   */
  frame(micEnergy: number, refEnergy: (k: number) => number, echoExpected = true): number {
    let predicted = 0;
    let norm = 1e-9;
    let peakWeight = 0;
    // The taps, and while the model is trained and not relearning SHIFT_BLOCKS more either side:
    // its prediction read at other delays (echo-shift.ts; k < 0 reads blocks sent ahead).
    const watchShift = this.trained && this.distrustFrames === 0;
    if (!watchShift) this.shift.reset();
    const reach = watchShift ? SHIFT_BLOCKS : 0;
    for (let k = -reach; k < ECHO_ENVELOPE_TAPS + reach; k++) {
      const amp = Math.sqrt(refEnergy(k) || 0);
      this.shiftAmps[k + SHIFT_BLOCKS] = amp;
      if (k < 0 || k >= ECHO_ENVELOPE_TAPS) continue;
      this.refAmp[k] = amp;
      predicted += this.weights[k]! * amp;
      norm += amp * amp;
      if (this.weights[k]! > peakWeight) {
        peakWeight = this.weights[k]!;
        this.peakTap = k;
      }
    }
    if (watchShift) this.shift.frame(this.weights, this.shiftAmps, Math.sqrt(micEnergy));
    // What the echo path itself predicts (see DROPOUT_FRAMES), read only where the echo could
    // count as missing: the weights are never negative, so it is at most `predicted`.
    const mayBeMissing = this.trained && echoExpected && Math.sqrt(micEnergy) < predicted * DROPOUT_RATIO;
    return this.learn(micEnergy, predicted, norm, echoExpected, mayBeMissing ? this.pathPrediction(peakWeight) : 0);
  }

  /**
   * The prediction from the echo path's first strong tap on (PATH_START_SHARE of `peakWeight`),
   * over the reference amplitudes frame() read; 0 where its main lobe (MAIN_LOBE_SHARE) predicts
   * under MAIN_LOBE_MIN_SHARE of it.
   */
  private pathPrediction(peakWeight: number): number {
    let predicted = 0;
    let mainLobe = 0;
    let onPath = false;
    for (let k = 0; k < ECHO_ENVELOPE_TAPS; k++) {
      const w = this.weights[k]!;
      if (!onPath && w >= peakWeight * PATH_START_SHARE) onPath = true;
      if (onPath) predicted += w * this.refAmp[k]!;
      if (w >= peakWeight * MAIN_LOBE_SHARE) mainLobe += w * this.refAmp[k]!;
    }
    return mainLobe >= predicted * MAIN_LOBE_MIN_SHARE ? predicted : 0;
  }

  /** frame() where every tap's reference block is silence (between answers): the same, without the taps. */
  silentFrame(micEnergy: number): number {
    return this.learn(micEnergy, 0, 1e-9, true, 0);
  }

  private learn(micEnergy: number, predicted: number, norm: number, echoExpected: boolean, pathPredicted: number): number {
    const mic = Math.sqrt(micEnergy);
    const error = mic - predicted;
    if (this.trained && echoExpected && pathPredicted * pathPredicted > AUDIBLE_ECHO && mic < pathPredicted * DROPOUT_RATIO) this.missingFrames++;
    else this.missingFrames = 0;
    if (this.missingFrames >= DROPOUT_FRAMES) {
      this.distrustFrames = DISTRUST_FRAMES;
      this.holdFrames = 0;
    } else if (this.distrustFrames > 0) {
      // Still relearning while the echo stands out of the prediction: the distrust ends only
      // after DISTRUST_FRAMES in which it did not.
      this.distrustFrames = mic > predicted * DOUBLE_TALK_RATIO ? DISTRUST_FRAMES : this.distrustFrames - 1;
    }
    if (this.distrustFrames > 0) this.holdFrames = 0;
    else if (this.trained && mic > predicted * DOUBLE_TALK_RATIO) this.holdFrames = DOUBLE_TALK_HOLD_FRAMES;
    else if (this.holdFrames > 0) this.holdFrames--;
    this.learntLast = norm > MIN_REFERENCE_ENERGY && this.holdFrames === 0;
    if (this.learntLast) {
      const step = this.trained && error > 0 ? STEP_UP_TRAINED : STEP;
      const scale = (step * error) / norm;
      for (let k = 0; k < ECHO_ENVELOPE_TAPS; k++) {
        const w = this.weights[k]! + scale * this.refAmp[k]!;
        this.weights[k] = w > 0 ? w : 0;
      }
      this.learnt++;
    }
    return predicted * predicted;
  }
}

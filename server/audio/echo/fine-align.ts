// The run after a stall's silence, placed by the server's model of the client, may come a few
// samples off where the client plays it (its own clock decides how long it ran dry): 0.3 ms off, the
// filter cancelled 5 dB where it had cancelled 30. Such an offset is below what the stall check
// and the realigner move for (1 ms and more: smaller moves are a drifting clock's), and the reading
// as placed still explains much of the echo, so neither finds it; the filter relearns the room
// shifted, and meanwhile barge-ins over the echo were missed (-8 to +12 samples, 30 and 200 ms
// stalls, four rooms, 0 dB: 25 of 48 missed).
//
// So once 100 ms of the run's echo are heard, the readings within 2 ms of the one placed are
// searched with the filter's response (shadow-echo.ts bestShift), and one that explains the echo
// clearly better than the reading as placed, found twice within AGREE samples, is where the run
// plays: the reference is read there from then on, the filter hears the frames since the silence
// again there and settles as after a skip (stall-check.ts), keeping the leak it has now
// (FilterTrust.readingMoved). Missed 25 -> 4 of those 48, echo-only turns none before or after.
// The same rule searches a new answer's run over a wider range (stall-watch.ts).
//
// A client begins a new answer between two of the server's samples, never on one: the filter, read
// where the run was placed, is a fraction of a sample to two samples off (within AGREE, taken for
// as placed), cancels 10-20 dB less, and SpeexDSP, converged, did not relearn that in seconds. Its
// misfits started turns 5-15 s into the answer (echo alone, second answers begun 0.25-2.5 samples
// off, four rooms, 0, -6 and +6 dB: 29 turns in 360 runs; none now). The run after a stall is
// placed the same way, and the client's own clock decides how long it ran dry: half a sample to
// two and a half longer or shorter (30 and 200 ms stalls, four rooms, 0 and +6 dB), the echo alone
// started 10 turns in 80 and 9 barge-ins were missed (none now; 2 heard a second late, 1 before). So the search (`subSample`) takes the reading
// where the pre-emphasised share peaks between samples (ShadowEcho.bestShift), and one within AGREE
// where the echo it leaves unexplained is under half what the reading as placed leaves, found twice
// within SUB_AGREE. Not through a loudspeaker on its own clock (a drift compensated): that run's
// offset moves by 0.3-5 samples a second, which the drift tracker and the filter follow, and one
// instant of it taken cost the second answer 9-16 dB of ERLE (bench:echo clocks, small room, two
// devices at 100 and 300 ppm).

import { EchoRealigner } from './echo-realign.js';
import { meanSquare } from './frame-energy.js';

/** Frames the window searched holds (100 ms of the run's echo: EchoRealigner.lastWindow). */
const WINDOW_FRAMES = 10;
/** Readings searched either side of the one placed after a stall (2 ms). */
const FINE_RANGE = 32;
/** A reading is taken when it explains this share of the window, this much more than the reading as placed, twice within AGREE samples; as placed within AGREE and explaining this much ends the search. */
const EXPLAINS = 0.8;
const BETTER_BY = 0.15;
const AGREE = 2;
/** subSample: a peak this close to the reading as placed (a quarter sample) is taken for it; two peaks this close agree. */
const SUB_LEAST = 0.25;
const SUB_AGREE = 0.25;
/** subSample: the reading as placed must leave this many times the unexplained share the peak leaves (3 dB). */
const SUB_DEEPER = 2;
/**
 * `overTalk`: the user's voice may hold much of the window (a new answer's run, where the user may
 * speak from its first word). It explains nothing at any reading, so the echo's reading stands out
 * as clearly, at a lower share: found twice where it explains TALK_EXPLAINS of the window and
 * TALK_OVER_PLACED times what the reading as placed does (or at the reading as placed, twice), it
 * is taken. Traced (office, 0 dB, the user from the echo's arrival): the run begun 0, 1 and 40
 * samples off peaked at 0, -1 and -40 in every search, at 0.34-0.59 of the window (pre-emphasised
 * near the one placed, broadband further), as placed 0.03-0.2 and 0.001-0.08 at 1 and 40 samples.
 * With the echo 6 dB under the user (small room), the same peaks stood at 0.08-0.2 (a sample off)
 * and 0.13-0.37 (40 samples), as placed 0.01-0.07 and 0.01-0.025: a third of the window was never
 * reached, the search ran out, and the user's first word was held for a second.
 */
const TALK_EXPLAINS = 0.1;
const TALK_OVER_PLACED = 3;
/**
 * `overTalk`, a reading between samples near the one placed: half a sample off, the reading as
 * placed still explains much of the echo, and over the user's voice neither halves what the other
 * leaves. Traced (small room, 0 dB, the user from the echo's arrival, a run begun half a sample
 * late): the peak at -0.53 to -0.56 in ten searches out of ten, 0.25-0.48 of the window against
 * 0.16-0.38 as placed (1.3-1.9 times); the near room, the echo 6 dB under the user, -0.44 to -0.69,
 * 1.2-1.5 times. Such a peak, found TALK_NEAR_FINDS times in a row within SUB_AGREE and
 * explaining TALK_NEAR_OVER_PLACED times the reading as placed, is taken.
 */
const TALK_NEAR_OVER_PLACED = 1.15;
const TALK_NEAR_FINDS = 3;
/**
 * `overTalk`, a reading further off (judged broadband, as whole readings are): its pre-emphasised
 * share must reach this too. The user's voice, 6 dB over the echo, correlates with the reference
 * broadband at a pitch period's lag or two: taken there (169, 484 samples off, 0.11-0.13 of the
 * window broadband, 0.01-0.02 pre-emphasised), the filter moved off the echo and the user who
 * spoke 50 ms after its arrival was missed. The echo's own reading: 0.11-0.43 pre-emphasised.
 */
const TALK_TILTED_EXPLAINS = 0.05;
/** Frames after the run arrived within which the search may run, and searches at most. */
const LAST_FRAMES = 60;
const MOST_SEARCHES = 10;

/** The best whole shift, its share and the share as placed; where present, the share's peak between samples (ShadowEcho.bestShift). */
export type ShiftSearch = (mic: Int16Array, from: number, minShift: number, maxShift: number) => { shift: number; explained: number; asPlaced: number; peak?: number; peakExplained?: number; peakBroadband?: number; asPlacedTilted?: number };

export class FineAlign {
  /** The microphone frames kept with their readings (the realigner's ring; its own search is not used). */
  private readonly kept: EchoRealigner;
  /** Frames since the run arrived (-1: not searching). */
  private frames = -1;
  private searches = 0;
  private candidate = Number.NaN;
  /** Searches in a row that found the candidate (within SUB_AGREE; TALK_NEAR_FINDS). */
  private finds = 0;
  /** The last search ended on a reading taken by the rules above, not by running out (see surely). */
  private endedSurely = false;

  /**
   * `range`: the readings searched, samples from the one placed (negative: the echo later).
   * `placedBelow`: a move is taken only while the reading as placed explains less than this share.
   */
  constructor(
    frameSamples: number,
    private readonly range: { min: number; max: number } = { min: -FINE_RANGE, max: FINE_RANGE },
    private readonly placedBelow = 1,
    private readonly overTalk = false,
  ) {
    this.kept = new EchoRealigner(frameSamples);
  }

  /** Whether a run's alignment is being searched. */
  get active(): boolean {
    return this.frames >= 0;
  }

  /**
   * Whether the last search, over, ended on a reading that explains EXPLAINS or more of a window
   * of the run (the reading as placed, or a move found twice), or with `overTalk` a reading that
   * stands out over the user's voice (TALK_EXPLAINS); false where it ran out of frames or searches.
   */
  get surely(): boolean {
    return this.frames < 0 && this.endedSurely;
  }

  /** The run after a silence reached the filter: its alignment is searched from now on. */
  start(): void {
    this.frames = 0;
    this.searches = 0;
    this.candidate = Number.NaN;
    this.finds = 0;
    this.endedSurely = false;
  }

  stop(): void {
    this.frames = -1;
    this.endedSurely = false;
  }

  /**
   * One microphone frame read from `readFrom`; the window is searched once it holds 100 ms of the
   * run at `loudEnergy` (mean square) or more. Returns the samples to read the reference later by
   * from the next frame on, or 0. `subSample`: a reading between samples is taken, and within
   * AGREE of the one placed where it explains the echo clearly better (see above).
   */
  frame(mic: Int16Array, readFrom: number, loudEnergy: number, search: ShiftSearch, subSample = false): number {
    if (this.frames < 0) return 0;
    if (++this.frames > LAST_FRAMES) {
      this.stop();
      return 0;
    }
    this.kept.record(mic, readFrom, false);
    // The window must be the run's alone: the frames since it arrived (a jump in the reading starts the ring over).
    const window = this.frames >= WINDOW_FRAMES ? this.kept.lastWindow() : null;
    if (!window || meanSquare(window.mic) < loudEnergy) return 0;
    if (++this.searches > MOST_SEARCHES) {
      this.stop();
      return 0;
    }
    const searched = search(window.mic, window.from, this.range.min, this.range.max);
    // subSample: the reading is taken where the pre-emphasised share peaks between samples; one
    // within AGREE is judged by that share, one further by the broadband share there, as whole
    // readings are (pre-emphasised, a filter still young explained a stall's run found 8 samples
    // off 0.72-0.81, broadband 0.79-0.85, and the move once taken was not).
    const near = subSample && Math.abs(searched.peak ?? searched.shift) <= AGREE;
    const found = !subSample
      ? searched
      : {
          shift: searched.peak ?? searched.shift,
          explained: (near ? searched.peakExplained : searched.peakBroadband) ?? searched.explained,
          asPlaced: (near ? searched.asPlacedTilted : undefined) ?? searched.asPlaced,
        };
    // Near the reading as placed, the share over the user's voice is the pre-emphasised one at the
    // peak or the broadband one at the best whole reading, whichever is more: the echo 6 dB under the
    // user, office, peaking where placed, 0.08-0.12 pre-emphasised and 0.12-0.22 broadband, and the
    // near room's run begun half a sample off, 0.05-0.15 and 0.14-0.37: the search ran out either way.
    const share = near ? Math.max(found.explained, searched.explained) : found.explained;
    const overTalk = this.overTalk && share >= TALK_EXPLAINS;
    if (Math.abs(found.shift) <= AGREE) {
      const off = subSample ? clearlyOffPlaced(found, overTalk) : 'no';
      if (off === 'no') {
        // Over the user's voice, the peak at the reading as placed twice.
        const placedOverTalk = overTalk && subSample && Math.abs(found.shift) < SUB_LEAST;
        if (found.explained >= EXPLAINS || (placedOverTalk && this.candidate === 0)) this.stopSurely();
        this.candidate = placedOverTalk ? 0 : Number.NaN;
        this.finds = 0;
        return 0;
      }
      const agreed = Math.abs(found.shift - this.candidate) <= SUB_AGREE;
      this.finds = agreed ? this.finds + 1 : 1;
      this.candidate = found.shift;
      if (!agreed || (off === 'near' && this.finds < TALK_NEAR_FINDS)) return 0;
      this.stopSurely();
      return found.shift;
    }
    // Best at the range's edge, the echo may lie beyond it (that reading is its nearest alias).
    const atEdge = found.shift <= this.range.min + AGREE || found.shift >= this.range.max - AGREE;
    const tiltedToo = (searched.peakExplained ?? found.explained) >= TALK_TILTED_EXPLAINS;
    const clearly = (found.explained >= EXPLAINS && found.explained >= found.asPlaced + BETTER_BY) || (overTalk && found.explained >= found.asPlaced * TALK_OVER_PLACED && tiltedToo);
    const better = clearly && found.asPlaced < this.placedBelow && !atEdge;
    const confirmed = better && Math.abs(found.shift - this.candidate) <= AGREE;
    this.candidate = better ? found.shift : Number.NaN;
    this.finds = 0;
    if (!confirmed) return 0;
    this.stopSurely();
    return found.shift;
  }

  private stopSurely(): void {
    this.stop();
    this.endedSurely = true;
  }
}

/**
 * Whether a reading within AGREE of the one placed, a quarter sample or more off it, explains the
 * echo clearly better (subSample; `overTalk`: over the user's voice, see TALK_EXPLAINS): 'yes';
 * 'near': over the user's voice only by TALK_NEAR_OVER_PLACED (to be found TALK_NEAR_FINDS times); 'no'.
 */
function clearlyOffPlaced(found: { shift: number; explained: number; asPlaced: number }, overTalk: boolean): 'yes' | 'near' | 'no' {
  if (Math.abs(found.shift) < SUB_LEAST) return 'no';
  if (found.explained >= EXPLAINS) return 1 - found.asPlaced >= SUB_DEEPER * (1 - found.explained) ? 'yes' : 'no';
  if (!overTalk) return 'no';
  if (found.explained >= found.asPlaced * TALK_OVER_PLACED) return 'yes';
  return found.explained >= found.asPlaced * TALK_NEAR_OVER_PLACED ? 'near' : 'no';
}

// Finding the echo again after its delay jumped. When the client runs dry on its own (a network
// stall the server never saw) it plays the rest of the answer later, and the echo comes that much
// later than the reference says; the filter, converged on the room, no longer matches it and is
// distrusted (filter-trust.ts). SpeexDSP would relearn the room at the new delay in
// seconds, and the leak and path bound the gate stands on start over: barge-ins 300 ms to 1 s
// after a 150 or 300 ms underrun, four rooms, 0 and -6 dB, were missed in 88 of 96 cases.
//
// The room has not changed, only the delay. When the echo goes missing soon after a distrust
// (the canceller's call), the filter is held: not run, so it keeps the room (run on, it learnt
// the room at the wrong delay and cancelled 10 dB where it had cancelled 30), and the path bound
// learns nothing from a microphone that does not hear what the reference says played. Its
// response as it was when distrusted is applied to every reading of the reference from 500 ms
// later to 100 ms earlier than placed (shadow-echo.ts bestShift) against the last 100 ms of
// microphone, once 100 ms have been heard since. A reading that explains most of it where the
// one as placed explains next to nothing (or far less: CLEARLY_BETTER), found twice within 2 samples (or two readings a few
// samples apart, the one that explains both windows clearly better), is where the echo comes
// from now: the reference is read there from then on (ReferenceClock.skipStall) and the frames
// kept since the jump are replayed to the filter at that reading, so its history is the echo's
// (filter-trust.ts: those before it came where they were read). The reading as
// placed found best instead (the filter was distrusted for something else) ends the hold, and the
// frames held are replayed as placed; so does a hold that finds nothing in 400 ms.
//
// A window heard soon after the echo came back holds the room's tail of what played before the
// gap, which no reading predicts: the peak blurs, and the move found came 1-6 samples off, where
// the filter cancels 20 dB less than the leak it keeps says (bench:echo realign rows: 4 of the 5
// turns in 48 underruns). A move whose peak is not sharp is refined: the filter stays held, the
// readings near it are searched on the next windows, and the first sharp one is taken (a pitch
// period's alias, never sharp, gives way to a reading elsewhere that explains more, or to none).
// Sharp is judged in each window: a later window may explain a little less and stand sharp. The
// best reading a few samples off as placed twice in a row is no jump but a drifting clock's lag:
// the hold ends and the filter relearns it running.

/** Microphone samples the search explains (100 ms: over 50 ms a vowel held explained 0.77 at ten pitch periods off), of those kept to replay through the filter once the echo is found (400 ms: the filter's 300 ms and the longest hold). */
const WINDOW_SAMPLES = 1600;
const HISTORY_SAMPLES = 6400;
/** How much later (500 ms: the longest delay searched) and earlier (100 ms) than placed the echo may have moved, samples at 16 kHz. */
export const MOST_LATER = 500 * 16;
const MOST_EARLIER = 100 * 16;
/**
 * A search at most every this many frames, and this many per distrust (each is ~3 ms of CPU): one
 * on every frame of the longest hold (HOLD_FRAMES). Each also says how much of the microphone no
 * reading explains (unexplained): the user speaking into the gap an underrun left is judged on it
 * until the echo comes back under the voice (with 20, the searches ran out first in a far room's
 * 300 ms underrun and the barge-in was missed).
 */
const SEARCH_EVERY_FRAMES = 1;
const MOST_SEARCHES = 40;
/** A reading is taken when it explains this share of the window, the reading as placed less than AS_PLACED_BELOW (the echo is not there), twice in a row within AGREE samples (a tenth of a millisecond: 0.3 ms off, the filter cancelled 5 dB where it had cancelled 30). */
const EXPLAINS = 0.6;
const AS_PLACED_BELOW = 0.1;
const AGREE = 2;
/**
 * Also a move (where asked for): a reading explaining this share or more, by betterBy more than as
 * placed. An echo moved by about a pitch period of the answer's voice is still explained in part
 * as placed: a run 150 samples later than placed (a 200 ms stall run dry 9 ms longer, near room, 1
 * s into a second answer) was explained 0.88-0.92 there in 20 searches in a row, 0.1-0.4 as placed,
 * never under AS_PLACED_BELOW: nothing moved, the filter relearnt the room with its leak forgotten,
 * and a barge-in was heard 1856 ms late. Not FineAlign's 0.15 (fine-align.ts): that margin is
 * used over 2 ms of readings after a stall, or with as placed under half over a new answer's range.
 * Used by the search after a distrust (filter-trust.ts) and the stall check's search for a part
 * played through (stall-watch.ts): bench:echo's longer-stall rows, that barge-in 1856 -> 0 ms, four
 * more 64-96 -> 32 ms; every other section identical.
 */
export const CLEARLY_BETTER = { explains: 0.8, betterBy: 0.3 } as const;
/** Two windows' best readings this close (0.5 ms) but not agreeing are one reading found twice, blurred by a reflection: see search. */
const NEAR_TIE = 8;
/** The share of a window (summed over the two) by which one of two near readings must explain more to be taken. */
const TIE_LEAD = 0.03;
/** A best reading explaining less than this share (10%) may be chance: 800 samples of speech are few independent ones. */
const ABOVE_CHANCE = 0.1;
/** The longest the filter is held while the echo is searched (400 ms: the underrun itself, then 100 ms of echo to find; no longer than the frames kept to replay). */
const HOLD_FRAMES = 40;
/**
 * How long after the distrust a search's unexplained share may start speech (450 ms): an echo
 * that went missing at the distrust (less the 20-30 ms the distrust takes) and comes back later
 * than MOST_LATER is explained by no reading searched, yet it cannot be back before this. (Judged
 * later, the echo of a 600 ms underrun came back unexplained and started turns in two rooms.)
 * Later shares only carry on a word the user began.
 */
const UNEXPLAINED_WITHIN = MOST_LATER - 50 * 16;
/**
 * A move found is sharp when it explains its window by this share more than the readings
 * SHARP_AT samples either side. A window heard soon after the echo came back holds the room's
 * tail of what played before the gap, which the reading found cannot predict: the search's peak
 * blurs, and the move found came 1-6 samples off (bench:echo realigns), where the filter cancels
 * 20 dB less than it had.
 */
const SHARP_BY = 0.2;
const SHARP_AT = 2;
/** Readings searched either side of a blurred move while it is refined (6 samples: the farthest off seen). */
const REFINE_RANGE = 8;

type ShiftSearch = (mic: Int16Array, from: number, minShift: number, maxShift: number) => { shift: number; explained: number; asPlaced: number };

/** Whether `shift` explains `window` by SHARP_BY more than the readings SHARP_AT either side. */
function isSharp(search: ShiftSearch, window: { mic: Int16Array; from: number }, shift: number): boolean {
  const at = (s: number) => search(window.mic, window.from, s, s).explained;
  return at(shift) - Math.max(at(shift - SHARP_AT), at(shift + SHARP_AT)) >= SHARP_BY;
}
/** Moves smaller than this (1 ms) are a drifting clock's, for the drift tracker to follow (reference-clock.ts). */
const LEAST_MOVE = 16;

export class EchoRealigner {
  /** A ring of the last frames (a frame never wraps: the ring holds whole frames); `oldest` is where the first kept sample is. */
  private readonly history = new Int16Array(HISTORY_SAMPLES);
  /**
   * The part of a sample each kept frame was read off its whole reading (one per frame the ring
   * holds): a run found between samples (fine-align.ts), or a drift followed. Searched and heard
   * again at the whole reading, the echo after an underrun in an answer begun half a sample off was
   * found half a sample off (the search's reading rounded, its move added to the reading's part), and
   * the filter moved there cancelled 8 dB where it had 13: the echo alone started a turn (small room, 0 dB).
   */
  private readonly fractions: Float64Array;
  private oldest = 0;
  /** The last WINDOW_SAMPLES in order, for a search. */
  private readonly window = new Int16Array(WINDOW_SAMPLES);
  /** Samples kept since the history was last cleared, and the reading position of the first. */
  private filled = 0;
  private from = 0;
  /** The reading position the next recorded frame must have for the window to stay contiguous. */
  private expected = Number.NaN;
  private searches = MOST_SEARCHES;
  private sinceSearch = 0;
  /** Frames since the filter was distrusted (while searching, it is held: see holding). */
  private sinceDistrust = Number.POSITIVE_INFINITY;
  /** Searches in a row that found the reading as placed the best of all. */
  private asPlacedBest = 0;
  /** Searches in a row whose best reading lay a few samples from the reading as placed (see search). */
  private nearPlacedBest = 0;
  /** Frames the filter was held for, in a row up to the last recorded. */
  private heldFrames = 0;
  /** The shift the last search found (NaN: none), to be confirmed by the next. */
  private candidate = Number.NaN;
  /** What the candidate explained of its window, and that window (mic, reading of its first sample). */
  private candidateExplained = 0;
  private readonly previous = new Int16Array(WINDOW_SAMPLES);
  private previousFrom = 0;
  /** A move found but blurred (see SHARP_BY), refined on the next windows (NaN: none). */
  private refining = Number.NaN;
  /** The share of its window the refined reading explained. */
  private refiningExplained = 0;
  /** Whether the last move taken was sharp (SHARP_BY). */
  private sharpMove = true;
  /** The best share of its window any reading explained, in the last search (NaN: none yet since the distrust). */
  private bestExplained = Number.NaN;

  /**
   * `refineBlurred`: a blurred move is refined before it is taken (see SHARP_BY), while the filter
   * is held. The stall check's search for a part played through (stall-watch.ts) does not: the
   * filter runs on meanwhile, and refined there it learnt the wrong reading for longer (bench:echo
   * partial-stall rows: a barge-in missed, a longer-stall row started a turn).
   */
  constructor(
    private readonly frameSamples: number,
    private readonly refineBlurred = false,
    /**
     * A reading as placed may explain part of the window and still be wrong: also taken is one
     * explaining `explains` or more, by `betterBy` more than as placed (CLEARLY_BETTER; null: only
     * a reading as placed explaining under AS_PLACED_BELOW).
     */
    private readonly clearlyBetter: { explains: number; betterBy: number } | null = null,
  ) {
    this.fractions = new Float64Array(Math.ceil(HISTORY_SAMPLES / frameSamples));
  }

  /** Records a microphone frame whose filter reading starts at `readFrom` (between samples too); `held`: the filter did not hear it. */
  record(mic: Int16Array, readFrom: number, held: boolean): void {
    const at = Math.round(readFrom);
    // A jump in the reading (a new run aligned, a skip): the window starts over.
    if (at !== this.expected) this.filled = 0;
    this.heldFrames = held ? this.heldFrames + 1 : 0;
    this.expected = at + this.frameSamples;
    const n = this.frameSamples;
    // Full: the oldest frame makes room (a ring: copying 400 ms along on every frame cost more than the rest).
    if (this.filled + n > HISTORY_SAMPLES) {
      this.oldest = (this.oldest + n) % HISTORY_SAMPLES;
      this.filled -= n;
      this.from += n;
    }
    if (this.filled === 0) {
      this.from = at;
      this.oldest = 0;
    }
    const offset = (this.oldest + this.filled) % HISTORY_SAMPLES;
    this.history.set(mic, offset);
    this.fractions[offset / n] = readFrom - at;
    this.filled += n;
    this.sinceSearch++;
    this.sinceDistrust++;
  }

  /**
   * Whether the filter should be held (not run: it would learn the room at the wrong reading,
   * and a move found later would meet a filter that forgot it): while searches remain, for at
   * most HOLD_FRAMES after the distrust. Found, the frames held are replayed (replay).
   */
  get holding(): boolean {
    return this.searches < MOST_SEARCHES && this.sinceDistrust < HOLD_FRAMES;
  }

  /** Frames in a search's window. */
  get windowFrames(): number {
    return WINDOW_SAMPLES / this.frameSamples;
  }

  /** The filter was just distrusted: up to MOST_SEARCHES may follow. */
  distrusted(): void {
    this.sinceDistrust = 0;
    this.searches = 0;
    this.sinceSearch = SEARCH_EVERY_FRAMES;
    this.candidate = Number.NaN;
    this.refining = Number.NaN;
    this.asPlacedBest = 0;
    this.nearPlacedBest = 0;
    this.bestExplained = Number.NaN;
  }

  /**
   * The share of the last search's window that no reading of the reference explains (1 less the
   * best reading's share; 0 before any search since the distrust). Loud (the search runs only on a
   * loud microphone) and mostly unexplained, with the room as the filter knew it, the window is
   * not the echo at any delay in range: the user (or a noise the VAD judges). See onset-gate.ts NOT_ECHO_ONSET_SHARE.
   */
  get unexplained(): number {
    return Number.isNaN(this.bestExplained) ? 0 : 1 - this.bestExplained;
  }

  /** Whether the last search's window is young enough (UNEXPLAINED_WITHIN) that an echo come back beyond the searched delays cannot be in it. */
  get unexplainedIsFresh(): boolean {
    return this.sinceDistrust * this.frameSamples < UNEXPLAINED_WITHIN;
  }

  /** Whether a search is due now (the caller then loads the response it searches with). */
  get due(): boolean {
    // The window heard wholly since the distrust: one that still holds the echo from before the jump is explained as placed.
    return this.searches < MOST_SEARCHES && this.sinceSearch >= SEARCH_EVERY_FRAMES && this.filled >= WINDOW_SAMPLES && this.sinceDistrust * this.frameSamples >= WINDOW_SAMPLES;
  }

  /**
   * Searches the reading that explains the window (`search`: the filter's response applied to the
   * reference). Returns the samples to move the reading by (negative: the echo comes later), 0
   * when nothing is found yet, or null when the reading as placed explains the window: the echo
   * did not move (the filter was distrusted for something else), and the search is over.
   */
  search(
    search: ShiftSearch,
    /** The shifts searched (default: from 500 ms later to 100 ms earlier than placed). */
    range: { min: number; max: number } = { min: -MOST_LATER, max: MOST_EARLIER },
  ): number | null {
    const window = this.due ? this.lastWindow() : null;
    if (!window) return 0;
    this.searches++;
    this.sinceSearch = 0;
    const found = search(window.mic, window.from, range.min, range.max);
    // The whole range is searched while refining too: what no reading explains is the user's (unexplained).
    this.bestExplained = found.explained;
    if (!Number.isNaN(this.refining)) {
      // A reading elsewhere explaining more than the blurred move ever did: that was an alias
      // (a vowel's pitch period), and the search goes on from this window.
      const elsewhere = Math.abs(found.shift - this.refining) > REFINE_RANGE && found.explained > this.refiningExplained;
      if (!elsewhere) return this.refine(search, window);
      this.refining = Number.NaN;
    }
    // As placed: it explains the window outright, or (the user speaking over the echo shares it)
    // it is the best reading of all, well above chance, twice in a row.
    this.asPlacedBest = Math.abs(found.shift) <= AGREE && found.explained >= ABOVE_CHANCE ? this.asPlacedBest + 1 : 0;
    if (found.asPlaced >= EXPLAINS || this.asPlacedBest >= 2) {
      this.searches = MOST_SEARCHES;
      return null;
    }
    // Best a few samples off, twice in a row: no jump, a drifting clock's lag (the drift tracker's
    // to follow). The hold ends, the filter relearns it as it runs. Held on, it learnt nothing for
    // 400 ms: a two-device clock at -300 ppm lost 14 dB of ERLE for a second.
    this.nearPlacedBest = Math.abs(found.shift) > AGREE && Math.abs(found.shift) < LEAST_MOVE && found.explained >= ABOVE_CHANCE ? this.nearPlacedBest + 1 : 0;
    if (this.nearPlacedBest >= 2) {
      this.endSearch();
      return 0;
    }
    const placedMissesIt = found.asPlaced < AS_PLACED_BELOW || (this.clearlyBetter !== null && found.explained >= this.clearlyBetter.explains && found.explained - found.asPlaced >= this.clearlyBetter.betterBy);
    const plausible = found.explained >= EXPLAINS && placedMissesIt && Math.abs(found.shift) >= LEAST_MOVE;
    let shift = found.shift;
    let confirmed = plausible && Math.abs(found.shift - this.candidate) <= AGREE;
    // Two readings a few samples apart, each the best of one window (a reflection explains the
    // echo nearly as well as the direct path): the one explaining both windows better is taken.
    if (plausible && !confirmed && Math.abs(found.shift - this.candidate) <= NEAR_TIE) {
      const candidateNow = search(window.mic, window.from, this.candidate, this.candidate).explained;
      const foundBefore = search(this.previous, this.previousFrom, found.shift, found.shift).explained;
      const lead = this.candidateExplained + candidateNow - (foundBefore + found.explained);
      // Too close to call: the next window decides (it agrees with one of them, or ties again).
      if (Math.abs(lead) >= TIE_LEAD) {
        if (lead > 0) shift = this.candidate;
        confirmed = true;
      }
    }
    this.candidate = plausible ? found.shift : Number.NaN;
    this.candidateExplained = found.explained;
    this.previous.set(window.mic);
    this.previousFrom = window.from;
    if (!confirmed) return 0;
    this.sharpMove = isSharp(search, window, shift);
    if (this.refineBlurred && !this.lastSearch && !this.sharpMove) {
      this.refining = shift;
      this.refiningExplained = found.explained;
      this.candidate = Number.NaN;
      return 0;
    }
    this.searches = MOST_SEARCHES;
    this.candidate = Number.NaN;
    return shift;
  }

  /**
   * A blurred move found: the readings within REFINE_RANGE of it are searched on this window; the
   * best so far is taken once its window shows it sharp. None is by the hold's last search: the
   * search ends there with nothing found.
   */
  private refine(search: ShiftSearch, window: { mic: Int16Array; from: number }): number {
    const near = search(window.mic, window.from, this.refining - REFINE_RANGE, this.refining + REFINE_RANGE);
    // The window explained best is the one least blurred: its reading is kept to search around.
    if (near.explained > this.refiningExplained) {
      this.refining = near.shift;
      this.refiningExplained = near.explained;
    }
    // A later window may explain a little less (the answer's own sounds differ) yet stand sharp:
    // its reading is taken. Traced: near room, a 150 ms underrun 7 s in; -2400 explained 0.894,
    // 0.23 over its neighbours, after a blurred window had explained 0.904 at -2401, and was
    // never taken.
    const sharp = near.explained >= EXPLAINS && isSharp(search, window, near.shift);
    if (sharp) this.refining = near.shift;
    if (!this.lastSearch && !sharp) return 0;
    // Never sharp: the move found may be a pitch period's alias, or any reading near it: none is
    // taken, and the filter relearns as after a hold that found nothing (taken, a 10 ms underrun
    // 2 s into a first answer, small room, started turns).
    if (!sharp) {
      this.refining = Number.NaN;
      this.endSearch();
      return 0;
    }
    const shift = this.refining;
    this.refining = Number.NaN;
    this.sharpMove = true;
    this.searches = MOST_SEARCHES;
    return shift;
  }

  /** Whether this search is the last of the hold (the filter runs again after it). */
  private get lastSearch(): boolean {
    return this.searches >= MOST_SEARCHES || this.sinceDistrust + 1 >= HOLD_FRAMES;
  }

  /**
   * The last WINDOW_SAMPLES kept (100 ms), in order, and the reading of their first sample; null
   * while fewer are kept. Valid until the next call.
   */
  lastWindow(): { mic: Int16Array; from: number } | null {
    if (this.filled < WINDOW_SAMPLES) return null;
    const windowStart = this.filled - WINDOW_SAMPLES;
    for (let at = 0; at < WINDOW_SAMPLES; at += this.frameSamples) this.window.set(this.frameAt(windowStart + at), at);
    return { mic: this.window, from: this.readingAt(windowStart) };
  }

  /** Whether the last move found stood out from the readings beside it (SHARP_BY): a blurred one may be a few samples off. */
  get lastMoveSharp(): boolean {
    return this.sharpMove;
  }

  /** The echo was found by other means (a stall's silence found played through: stall-watch.ts): no more searches this time. */
  endSearch(): void {
    this.searches = MOST_SEARCHES;
    this.candidate = Number.NaN;
    this.refining = Number.NaN;
  }

  /**
   * After a move of `shift`: hands the last `frames` frames kept (oldest first, the last recorded
   * included; default all) with their reading positions moved by it, for the filter to hear again
   * as the echo really came, and forgets every frame kept (their positions no longer hold).
   * `gapTap`, the filter's main tap (samples), where a move later is an underrun's gap: the client
   * played nothing from the sample whose echo the first of those frames missed (its reading less
   * the tap) until it played on from there, so every frame reads silence before it (`silentBefore`),
   * and the replay begins a tap's worth of frames earlier, where that gap began to play.
   */
  replay(shift: number, each: (mic: Int16Array, readFrom: number, silentBefore: number) => void, frames = Number.POSITIVE_INFINITY, gapTap: number | null = null): void {
    const n = this.frameSamples;
    const kept = Math.floor(this.filled / n);
    let first = Math.max(0, kept - frames) * n;
    let silentBefore = Number.NEGATIVE_INFINITY;
    if (gapTap !== null && shift < 0 && first + n <= this.filled) {
      // Where the first frame asked for was read, though the ring no longer holds it (a gap longer
      // than the hold's 400 ms less the 100 ms searched): the readings run on sample by sample.
      silentBefore = this.readingAt(first) - (first - (kept - frames) * n) - gapTap;
      first = Math.max(0, first - Math.ceil(gapTap / n) * n);
    }
    for (let at = first; at + n <= this.filled; at += n) each(this.frameAt(at), this.readingAt(at) + shift, silentBefore);
    this.filled = 0;
    this.expected = Number.NaN;
    this.heldFrames = 0;
  }

  /**
   * The hold ended with the echo where it was placed (or none found): hands the frames held, as
   * placed, for the filter to hear what it missed, so its history goes on without a gap (a
   * filter resumed with a gap took its last audio for just played and misjudged itself).
   * `shift`: the echo was found that many samples off meanwhile, and they are heard there.
   */
  replayHeld(each: (mic: Int16Array, readFrom: number) => void, shift = 0): void {
    const n = this.frameSamples;
    const frames = Math.min(this.heldFrames, Math.floor(this.filled / n));
    for (let at = this.filled - frames * n; at < this.filled; at += n) each(this.frameAt(at), this.readingAt(at) + shift);
    this.heldFrames = 0;
  }

  /** Whether the ring has room for `frames` more held frames without losing the first one held. */
  canHoldMore(frames: number): boolean {
    return (this.heldFrames + frames) * this.frameSamples <= HISTORY_SAMPLES;
  }

  /** Where the filter read the reference for the frame kept `at` samples after the first kept one. */
  private readingAt(at: number): number {
    return this.from + at + this.fractions[((this.oldest + at) % HISTORY_SAMPLES) / this.frameSamples]!;
  }

  /** The frame kept `at` samples after the first kept one. */
  private frameAt(at: number): Int16Array {
    const offset = (this.oldest + at) % HISTORY_SAMPLES;
    return this.history.subarray(offset, offset + this.frameSamples);
  }
}

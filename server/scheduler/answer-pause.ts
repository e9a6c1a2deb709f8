import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import type { EventSink } from '../response/event-sink.js';
import type { ResponseRun } from '../response/response-run.js';

export interface AnswerPauseDeps {
  events: EventSink;
  metrics: Metrics;
  config: Config['scheduler'];
  /** The answer being generated or played, if any. */
  activeRun: () => ResponseRun | null;
  /** turn_detection.interrupt_response (speech may pause and cut an answer). */
  interruptAllowed: () => boolean;
  /** Confirmed speech: ms of silence since its last voiced frame (0 while voiced). */
  trailingSilenceMs: () => number;
}

/** At the end of a duck, speech that has been silent this long looks finished: the duck goes on. */
const DUCK_QUIET_MS = 32;
/** While it stays silent, the duck looks again this often (until speech_stopped ends the checks). */
const DUCK_RECHECK_MS = 64;

/**
 * When the current answer's output stops and goes on, as the user's speech unfolds: a tentative
 * pause at the first speech frame, undone at once on a blip; a firm pause once speech is
 * confirmed (and has lasted scheduler.minInterruptSpeechMs); the pause timeout; resuming on the
 * monitor's word, early or not. The monitor's decisions themselves stay in the scheduler.
 *
 * For a spoken answer that has been playing a while (scheduler.duckMs > 0), the hold starts as a
 * duck: the answer goes on, lowered, and pauses only if the speech outlasts duckMs. A backchannel or
 * a cough then leaves a dip, not a hole: a plain OpenAI client cannot pause its playback, so a pause
 * longer than its buffered audio is a hole; a duet-aware one could, but the answer would still stop.
 */
export class AnswerPause {
  private speakingNow = false;
  /** The answer is paused on unconfirmed speech (voiceOnset) that may still prove a blip. */
  private tentativeNow = false;
  /** The answer resumed on an early verdict while the user's segment is still open. */
  private resumedEarly = false;
  /** Wall-clock estimate of when the current speech began (performance.now ms). */
  private onsetAtMs = 0;
  private speechAudioStartMs = 0;
  private onsetTimer: NodeJS.Timeout | null = null;
  private pauseTimer: NodeJS.Timeout | null = null;
  /** Ends a duck whose speech goes on: the answer then pauses. */
  private duckTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly d: AnswerPauseDeps) {}

  /** Confirmed speech is going on (speech_started .. speech_stopped). */
  get speaking(): boolean {
    return this.speakingNow;
  }

  get tentative(): boolean {
    return this.tentativeNow;
  }

  /** Timers still armed (leak tests). */
  get timers(): number {
    return (this.onsetTimer ? 1 : 0) + (this.pauseTimer ? 1 : 0) + (this.duckTimer ? 1 : 0);
  }

  /**
   * The first speech frame (not yet confirmed: it may be a click or a cough). With
   * `tentativePause`, the answer pauses at once; voiceDropped resumes it before the client's
   * buffered audio (voice.leadMs) runs out, so a blip leaves no audible gap.
   */
  voiceOnset(sinceOnsetMs: number): void {
    if (this.closed || !this.d.config.tentativePause) return;
    const run = this.d.activeRun();
    if (!run || run.paused || !this.d.interruptAllowed()) return;
    this.onsetAtMs = performance.now() - sinceOnsetMs;
    this.tentativeNow = true;
    this.holdForSpeech(true);
  }

  /** The speech announced by voiceOnset ended before the VAD confirmed it. */
  voiceDropped(): void {
    if (this.closed || this.speakingNow) return;
    this.endTentative('blip');
  }

  /** VAD confirmed speech that began `sinceOnsetMs` ago on the audio clock. */
  speechStarted(audioStartMs: number, sinceOnsetMs: number): void {
    if (this.closed) return;
    this.speakingNow = true;
    this.onsetAtMs = performance.now() - sinceOnsetMs;
    this.speechAudioStartMs = audioStartMs;
    const run = this.d.activeRun();
    if (!run || !this.d.interruptAllowed()) return;
    if (run.paused && !this.tentativeNow) {
      // Ducked for earlier speech still awaiting its verdict: this speech may outlast the duck.
      if (run.ducked) this.armDuck(Math.max(0, this.d.config.duckMs - sinceOnsetMs));
      return;
    }
    this.clear('onset');
    // Minimum speech before a pause is firm, counted from the speech's start: the VAD's own
    // minimum speech usually covers it already, so the pause is firm at confirmation.
    const remainingMs = this.d.config.minInterruptSpeechMs - sinceOnsetMs;
    const firm = (): void => (run.paused ? this.confirmTentative() : this.holdForSpeech(false));
    if (remainingMs <= 0) return firm();
    this.onsetTimer = setTimeout(() => {
      this.onsetTimer = null;
      firm();
    }, remainingMs);
  }

  speechStopped(): void {
    this.speakingNow = false;
    this.resumedEarly = false;
    this.clear('onset');
    // Speech shorter than the duck: the answer stays lowered until the monitor's word (or the timeout).
    this.clear('duck');
    // Speech too short to interrupt: a tentative pause ends here (the monitor still classifies it).
    if (this.tentativeNow) return this.endTentative('short');
    // From here the monitor's decision is due; without one in time, the answer resumes.
    if (this.d.activeRun()?.paused) this.armTimeout();
  }

  /** The answer goes on exactly where it stopped; `early`: the user's segment is still open. */
  resume(run: ResponseRun, reason: string, early = false): void {
    this.clear('pause');
    this.clear('duck');
    this.tentativeNow = false;
    if (early) this.resumedEarly = true;
    if (run.ducked) this.d.metrics.answerDucks.inc({ outcome: 'resumed' });
    // Announce first: the held deltas follow the event that says output goes on.
    const buffered = run.bufferedAudioMs();
    this.d.events.send({ type: 'duet.response.resumed', response_id: run.id, reason, ...(buffered === null ? {} : { buffered_audio_ms: Math.round(buffered) }) });
    run.resume();
  }

  /** Speech went on after a pause: an answer resumed early on that pause waits again. */
  speechWentOn(): void {
    if (!this.resumedEarly) return;
    this.resumedEarly = false;
    if (!this.closed && this.speakingNow) this.holdForSpeech(false, true);
  }

  /** The answer is cut (a query): nothing it sent ahead may play on. */
  interrupt(run: ResponseRun): void {
    if (run.ducked) this.d.metrics.answerDucks.inc({ outcome: 'interrupted' });
    this.reset();
    const { staleAudioMs } = run.cancel('turn_detected');
    this.d.events.send({ type: 'duet.output_audio.clear', response_id: run.id, stale_audio_ms: staleAudioMs });
  }

  /** The answer ended or was cancelled: no pause of it is pending. */
  reset(): void {
    this.tentativeNow = false;
    this.clear('onset');
    this.clear('pause');
    this.clear('duck');
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  /**
   * Holds the answer for the user's speech: a duck while the speech is younger than duckMs (and the
   * answer can duck), else a pause. `again`: the same speech, after an early resume (not a new
   * onset: not a detection to measure; a duck then runs its whole length from now).
   */
  private holdForSpeech(tentative: boolean, again = false): void {
    const run = this.d.activeRun();
    if (!run || run.paused) return;
    const spokenMs = again ? 0 : performance.now() - this.onsetAtMs;
    const duckMs = this.d.config.duckMs;
    const playingMs = run.firstEmitAtMs === null ? 0 : performance.now() - run.firstEmitAtMs;
    if (duckMs <= spokenMs || playingMs < this.d.config.duckAfterMs || !run.duck(this.d.config.duckGainDb)) return this.pauseForSpeech(tentative, again);
    if (!again) this.d.metrics.interruptionDetectionMs.observe(spokenMs);
    this.d.events.send({ type: 'duet.response.ducked', response_id: run.id, audio_start_ms: this.speechAudioStartMs, gain_db: this.d.config.duckGainDb, tentative });
    this.armDuck(duckMs - spokenMs);
    if (!this.speakingNow) this.armTimeout();
  }

  private armDuck(ms: number): void {
    this.clear('duck');
    this.duckTimer = setTimeout(() => {
      this.duckTimer = null;
      this.duckOutlasted();
    }, ms);
  }

  /** duckMs of speech have passed: if the user is still talking, the answer stops. */
  private duckOutlasted(): void {
    const run = this.d.activeRun();
    if (this.closed || !run?.ducked || !(this.speakingNow || this.tentativeNow)) return;
    // A short word whose silence timer has not run out yet (speech_stopped comes only after
    // silence_duration_ms): keep ducking, and stop should the speech go on.
    if (this.speakingNow && this.d.trailingSilenceMs() >= DUCK_QUIET_MS) return this.armDuck(DUCK_RECHECK_MS);
    this.d.metrics.answerDucks.inc({ outcome: 'paused' });
    run.pause();
    this.d.events.send({ type: 'duet.response.paused', response_id: run.id, audio_start_ms: this.speechAudioStartMs, tentative: this.tentativeNow });
  }

  private pauseForSpeech(tentative: boolean, again = false): void {
    const run = this.d.activeRun();
    if (!run || run.paused) return;
    run.pause();
    if (!again) this.d.metrics.interruptionDetectionMs.observe(performance.now() - this.onsetAtMs);
    this.d.events.send({ type: 'duet.response.paused', response_id: run.id, audio_start_ms: this.speechAudioStartMs, tentative });
    // A tentative pause always ends (the VAD confirms or drops the speech); the timeout is the backstop.
    if (!this.speakingNow) this.armTimeout();
  }

  /** The speech behind a tentative pause was confirmed and long enough: the pause is firm. */
  private confirmTentative(): void {
    if (!this.tentativeNow) return;
    this.tentativeNow = false;
    this.clear('pause');
    this.d.metrics.tentativePauses.inc({ outcome: 'confirmed' });
  }

  /** The speech behind a tentative pause came to nothing: output goes on where it stopped. */
  private endTentative(outcome: 'blip' | 'short'): void {
    if (!this.tentativeNow) return;
    this.tentativeNow = false;
    this.clear('onset');
    this.d.metrics.tentativePauses.inc({ outcome });
    const run = this.d.activeRun();
    if (run?.paused) this.resume(run, outcome);
  }

  private armTimeout(): void {
    this.clear('pause');
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      const run = this.d.activeRun();
      if (run?.paused && !this.speakingNow) this.resume(run, 'timeout');
    }, this.d.config.pauseTimeoutMs);
  }

  private clear(which: 'onset' | 'pause' | 'duck'): void {
    const timer = which === 'onset' ? this.onsetTimer : which === 'pause' ? this.pauseTimer : this.duckTimer;
    if (timer) clearTimeout(timer);
    if (which === 'onset') this.onsetTimer = null;
    else if (which === 'pause') this.pauseTimer = null;
    else this.duckTimer = null;
  }
}

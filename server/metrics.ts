import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TallyCounter } from './tally-counter.js';

/** All Prometheus metrics of one app instance (own registry so tests can build many apps). */
export class Metrics {
  readonly registry = new Registry();
  readonly activeSessions = new Gauge({ name: 'duet_active_sessions', help: 'Live WebSocket sessions.', registers: [this.registry] });
  readonly activeResponses = new Gauge({ name: 'duet_active_responses', help: 'Responses between response.created and response.done, over all sessions.', registers: [this.registry] });
  readonly eventsIn = new TallyCounter({ name: 'duet_events_in_total', help: 'Client events received, by type.', label: 'type', registry: this.registry });
  readonly eventsOut = new TallyCounter({ name: 'duet_events_out_total', help: 'Server events sent, by type.', label: 'type', registry: this.registry });
  readonly errors = new Counter({ name: 'duet_errors_total', help: 'Error events sent, by code.', labelNames: ['code'], registers: [this.registry] });
  readonly audioInSeconds = new Counter({ name: 'duet_audio_in_seconds_total', help: 'Input audio received.', registers: [this.registry] });
  readonly audioOutSeconds = new Counter({ name: 'duet_audio_out_seconds_total', help: 'Output audio sent.', registers: [this.registry] });
  readonly sessionsRejected = new Counter({ name: 'duet_sessions_rejected_total', help: 'Sessions refused, by reason.', labelNames: ['reason'], registers: [this.registry] });
  readonly interruptionDetectionMs = new Histogram({
    name: 'duet_interruption_detection_ms',
    help: 'Speech onset in the audio during an answer -> output paused (includes the VAD confirmation).',
    buckets: [50, 100, 150, 200, 250, 300, 350, 400, 500, 600, 800, 1000, 1500],
    registers: [this.registry],
  });
  readonly stopDelayMs = new Histogram({
    name: 'duet_stop_delay_ms',
    help: 'Interrupt decision -> generator stopped.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly responseLatencyMs = new Histogram({
    name: 'duet_response_latency_ms',
    help: 'End of user speech (or response.create) -> first output delta.',
    buckets: [10, 25, 50, 100, 200, 400, 800, 1600, 3200, 6400],
    registers: [this.registry],
  });
  readonly monitorDecisionMs = new Histogram({
    name: 'duet_monitor_decision_ms',
    help: 'Time the monitor took to classify a segment.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly monitorDecisions = new Counter({ name: 'duet_monitor_decisions_total', help: 'Monitor decisions, by state token.', labelNames: ['state'], registers: [this.registry] });
  readonly tentativePauses = new Counter({
    name: 'duet_tentative_pauses_total',
    help: 'Answers paused at the first speech frame, by outcome: confirmed (speech went on), blip (resumed before the VAD confirmed speech), short (speech stopped before scheduler.minInterruptSpeechMs).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly answerDucks = new Counter({
    name: 'duet_answer_ducks_total',
    help: 'Answers ducked (lowered, still playing) on speech over them (scheduler.duckMs, confirmed mode), by outcome: resumed (back to full level), paused (the speech outlasted the duck), interrupted (cut while ducked).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly turnsHeld = new Counter({ name: 'duet_turns_held_total', help: 'User turns judged incomplete and held for more speech, by judge (model, monitor).', labelNames: ['source'] as const, registers: [this.registry] });
  readonly backchannels = new Counter({ name: 'duet_backchannels_total', help: 'Segments decided from the transcript alone, without the monitor: backchannel (noise during an answer) or command (always a query).', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly speculativeStarts = new Counter({ name: 'duet_speculative_starts_total', help: 'Answers started during a short pause, before the silence timer confirmed the turn.', registers: [this.registry] });
  readonly speculativeUsed = new Counter({ name: 'duet_speculative_used_total', help: 'Speculative starts whose answer was released (the turn was confirmed as it was).', registers: [this.registry] });
  readonly speculativeDiscardedMs = new Counter({ name: 'duet_speculative_discarded_model_ms_total', help: 'Model time (monitor decision and generation, wall clock) spent on speculative starts that were discarded.', registers: [this.registry] });
  readonly echoErleDb = new Histogram({
    name: 'duet_echo_erle_db',
    help: 'Echo return loss enhancement of the echo canceller, per second of echo without near-end speech.',
    buckets: [0, 5, 10, 15, 20, 25, 30, 35, 40, 50, 60],
    registers: [this.registry],
  });
  readonly echoResidualDbfs = new Histogram({
    name: 'duet_echo_residual_dbfs',
    help: 'Residual echo level after cancellation (dBFS), per second of echo without near-end speech.',
    buckets: [-90, -80, -70, -60, -50, -40, -30, -20, -10],
    registers: [this.registry],
  });
  readonly echoReadingMoves = new Counter({
    name: 'duet_echo_reading_moves_total',
    help: 'Times the echo was found off where the reference placed it and read there from then on, by cause: answer (a new answer begun off its placing), stall (a stall the client played through or ran dry a little off), jump (an underrun the server never saw).',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly echoSuppressedOnsets = new Counter({ name: 'duet_echo_suppressed_onsets_total', help: 'Speech onsets the VAD heard that the echo gate judged to be the assistant\'s own voice.', registers: [this.registry] });
  readonly falseInterruptions = new Counter({ name: 'duet_false_interruptions_total', help: 'Paused answers resumed because the speech was not a query.', registers: [this.registry] });

  constructor(withProcessMetrics = false) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'duet_' });
  }
}

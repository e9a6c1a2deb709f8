// What the user heard, scored per repetition from the client's exact playback record
// (playback.ts spans) and the events it received.
import type { Cut, SimClient } from './client.js';
import type { PlayedSpan } from './playback.js';
import type { Marks, Scenario } from './scenarios.js';

/** FD-Bench's takeover rule: the system speaks for at least 1 s or more than 3 words. */
export const TAKEOVER_MS = 1000;
export const TAKEOVER_WORDS = 3;
/** A hole in an answer's playback longer than this is audible. */
export const AUDIBLE_GAP_MS = 40;
/**
 * An answer is cut (a false interruption where it should have gone on) when it did not go on: the
 * client truncated it, audio was skipped, or it stopped for good with more to say. A hole (paused,
 * then resumed where it stopped) is not a cut: it is reported apart, as longestHoleMs.
 */
export const CUT_RULE = 'truncated, audio skipped, or stopped for good with more to say; a hole (paused, then resumed where it stopped) is reported apart (longestHoleMs)';
/** A barge-in succeeds when the new answer is heard and the old one stopped within this of the barge-in's end. */
export const STOP_WITHIN_MS = 1000;

export interface RepMetrics {
  /** The system took the turn (FD-Bench rule) where the scenario says whether it should. */
  takeover: boolean | null;
  /** The answer in progress was cut at the client (truncated, audio skipped, or stopped for good) where it should have gone on. */
  falseInterruption: boolean | null;
  /** Where the answer should have gone on: the longest hole in its playback (ms, 0: none), a pause heard though it went on. */
  longestHoleMs: number | null;
  /** Barge-in: the old answer stopped and the new one was heard. */
  interruptionSuccess: boolean | null;
  /** Barge-in: speech onset -> the last sample of the old answer the client played. */
  onsetToStopMs: number | null;
  /** Speech onset -> the first sample the server lowered (duet.response.ducked) played at the client (null: no duck heard). */
  onsetToDuckMs: number | null;
  /** During an answer: how much of it the client played lowered (ms; 0 when none). */
  duckedMs: number | null;
  /** End of the user's speech -> first sample of the answer to it played at the client. */
  responseLatencyMs: number | null;
  /** Holes > 40 ms in the answer's playback while it was still going, and samples heard twice. */
  audibleGaps: number | null;
  repeats: number | null;
  /** What happened, for reading the JSON: cuts, truncates, pauses received. */
  detail: Record<string, unknown>;
}

function createdAt(client: SimClient): Map<string, number> {
  return new Map(client.log.filter((e) => e.type === 'response.created').map((e) => [(e.event.response as { id: string }).id, e.atMs]));
}

function spansOf(client: SimClient, itemId: string): PlayedSpan[] {
  return client.playback.spans.filter((s) => s.itemId === itemId).sort((a, b) => a.startMs - b.startMs);
}

/** Heard per FD-Bench: >= 1 s of it played, or more than 3 of its words. */
function heard(client: SimClient, itemId: string): boolean {
  const spans = spansOf(client, itemId);
  const samples = spans.reduce((n, s) => n + s.to - s.from, 0);
  const furthest = spans.reduce((m, s) => Math.max(m, s.to), 0);
  // A transcript delta's words count once all of its audio (up to the next delta's start) was played.
  const deltas = client.words.get(itemId) ?? [];
  const received = client.playback.receivedSamples(itemId);
  const words = deltas.filter((_, i) => (deltas[i + 1]?.offset ?? received) <= furthest).reduce((n, w) => n + w.words, 0);
  return samples >= TAKEOVER_MS * 16 || words > TAKEOVER_WORDS;
}

/** Items of responses created in [fromMs, toMs) that played at all, in order of their first sample. */
function answersCreated(client: SimClient, fromMs: number, toMs: number): { itemId: string; firstMs: number }[] {
  const created = createdAt(client);
  const out = new Map<string, number>();
  for (const s of client.playback.spans) {
    const at = created.get(s.responseId);
    if (at === undefined || at < fromMs || at >= toMs) continue;
    out.set(s.itemId, Math.min(out.get(s.itemId) ?? Infinity, s.startMs));
  }
  return [...out].map(([itemId, firstMs]) => ({ itemId, firstMs })).sort((a, b) => a.firstMs - b.firstMs);
}

interface Continuity {
  gaps: number;
  repeats: number;
  /** Skipped audio in the window, a truncate, or the answer stopping for good inside it while it had more to say. */
  cut: boolean;
  /** The longest hole in the window, ms (0: none). */
  longestHoleMs: number;
  lastSampleMs: number | null;
  holes: { atMs: number; ms: number; cause: string }[];
}

/** How the item's playback went between fromMs and toMs. */
function continuity(client: SimClient, itemId: string, responseId: string, fromMs: number, toMs: number): Continuity {
  const spans = spansOf(client, itemId);
  let gaps = 0;
  let repeats = 0;
  let cut = false;
  let longestHoleMs = 0;
  const holes: Continuity['holes'] = [];
  for (let i = 1; i < spans.length; i++) {
    const a = spans[i - 1]!;
    const b = spans[i]!;
    if (a.endMs < fromMs || a.endMs > toMs) continue;
    const hole = b.startMs - a.endMs;
    if (hole > AUDIBLE_GAP_MS) {
      gaps++;
      // Stopped by the client (a cut or a pause it obeyed), or the buffer ran dry: audio came late.
      const stop = client.cuts.some((c) => Math.abs(c.atMs - a.endMs) < 25);
      holes.push({ atMs: Math.round(a.endMs - client.originMs), ms: Math.round(hole), cause: stop ? 'client stop' : 'underrun' });
    }
    longestHoleMs = Math.max(longestHoleMs, Math.round(hole));
    if (b.from > a.to) cut = true;
    if (b.from < a.to) repeats++;
  }
  const last = spans.at(-1);
  if (last && last.endMs >= fromMs && last.endMs < toMs - 60) {
    // Stopped for good inside the window: a cut unless the answer simply ended (completed, all of it played).
    const done = client.log.find((e) => e.type === 'response.done' && (e.event.response as { id: string }).id === responseId);
    const completed = (done?.event.response as { status?: string } | undefined)?.status === 'completed';
    if (!(completed && last.to >= client.playback.receivedSamples(itemId))) cut = true;
  }
  if (client.truncates.some((t) => t.itemId === itemId && t.atMs >= fromMs && t.atMs <= toMs)) cut = true;
  return { gaps, repeats, cut, longestHoleMs, lastSampleMs: last ? last.endMs : null, holes };
}

/** The item's lowered stretch that began after `fromMs`, as the client played it. */
function duckHeard(client: SimClient, itemId: string, fromMs: number): { onsetToDuckMs: number | null; duckedMs: number } {
  const duck = client.ducks.find((d) => d.itemId === itemId && d.atMs >= fromMs);
  if (!duck) return { onsetToDuckMs: null, duckedMs: 0 };
  const end = duck.to ?? Infinity;
  let first: number | null = null;
  let samples = 0;
  for (const s of spansOf(client, itemId)) {
    const from = Math.max(s.from, duck.from);
    const to = Math.min(s.to, end);
    if (to <= from) continue;
    first ??= s.startMs + (from - s.from) / 16;
    samples += to - from;
  }
  return { onsetToDuckMs: first === null ? null : first - fromMs, duckedMs: samples / 16 };
}

function cutsIn(cuts: Cut[], fromMs: number, toMs: number): Cut[] {
  return cuts.filter((c) => c.atMs >= fromMs && c.atMs <= toMs);
}

export function scoreRep(scenario: Scenario, client: SimClient, m: Marks): RepMetrics {
  const none: RepMetrics = { takeover: null, falseInterruption: null, longestHoleMs: null, interruptionSuccess: null, onsetToStopMs: null, onsetToDuckMs: null, duckedMs: null, responseLatencyMs: null, audibleGaps: null, repeats: null, detail: {} };
  const pausesReceived = client.log.filter((e) => e.type === 'duet.response.paused').map((e) => ({ atMs: e.atMs, tentative: e.event.tentative === true }));
  const decisions = client.log.filter((e) => e.type === 'duet.monitor.state').map((e) => `${String(e.event.state)} ${String(e.event.action)}`);
  const late = Float64Array.from(client.micLatenessMs).sort();
  const detail: Record<string, unknown> = {
    decisions,
    pauses: pausesReceived.length,
    tentativePauses: pausesReceived.filter((p) => p.tentative).length,
    cuts: client.cuts.map((c) => c.why),
    truncates: client.truncates.length,
    // The sender's own lateness: high values mean the machine was too busy to stream in real time.
    micLateP99Ms: Math.round(late[Math.floor(late.length * 0.99)] ?? 0),
  };
  if (m.eventOnsetMs !== null) {
    // Where the stop came from: the VAD's speech_started and the server's pause, after the event's onset.
    const after = (type: string) => client.log.find((e) => e.type === type && e.atMs >= m.eventOnsetMs!);
    const started = after('input_audio_buffer.speech_started');
    const paused = after('duet.response.paused');
    detail.speechStartedAfterOnsetMs = started ? Math.round(started.atMs - m.eventOnsetMs) : null;
    detail.pausedAfterOnsetMs = paused ? Math.round(paused.atMs - m.eventOnsetMs) : null;
  }
  switch (scenario.kind) {
    case 'question': {
      const answer = answersCreated(client, 0, Infinity)[0];
      return {
        ...none,
        takeover: answer ? heard(client, answer.itemId) : false,
        responseLatencyMs: answer && m.finalEndMs !== null ? answer.firstMs - m.finalEndMs : null,
        detail,
      };
    }
    case 'pause': {
      const early = answersCreated(client, 0, m.finalEndMs!);
      const late = answersCreated(client, m.finalEndMs!, Infinity)[0];
      return {
        ...none,
        takeover: early.some((a) => heard(client, a.itemId)),
        responseLatencyMs: late ? late.firstMs - m.finalEndMs! : null,
        // Below the takeover rule the user may still hear the system start over them.
        detail: { ...detail, earlyAnswers: early.length, earlyHeardMs: Math.round(early.reduce((n, a) => n + client.playedSamples(a.itemId), 0) / 16) },
      };
    }
    case 'idle': {
      const answers = answersCreated(client, m.eventOnsetMs!, Infinity);
      return { ...none, takeover: answers.some((a) => heard(client, a.itemId)), detail: { ...detail, answers: answers.length } };
    }
    case 'during': {
      if (!m.answer) return { ...none, detail: { ...detail, problem: 'no answer was playing' } };
      const c = continuity(client, m.answer.itemId, m.answer.responseId, m.eventOnsetMs!, m.observeEndMs);
      const newer = answersCreated(client, m.eventOnsetMs!, Infinity);
      const duck = duckHeard(client, m.answer.itemId, m.eventOnsetMs!);
      return {
        ...none,
        takeover: newer.some((a) => heard(client, a.itemId)),
        falseInterruption: c.cut,
        longestHoleMs: c.longestHoleMs,
        onsetToDuckMs: duck.onsetToDuckMs,
        duckedMs: duck.duckedMs,
        audibleGaps: c.gaps,
        repeats: c.repeats,
        detail: { ...detail, holes: c.holes, clientCuts: cutsIn(client.cuts, m.eventOnsetMs!, m.observeEndMs).map((x) => x.why) },
      };
    }
    case 'barge-in': {
      if (!m.answer) return { ...none, detail: { ...detail, problem: 'no answer was playing' } };
      const onset = m.eventOnsetMs!;
      const firstHeard = spansOf(client, m.answer.itemId)[0]?.startMs ?? onset;
      // Before the barge-in the answer should play on: a cut there is a false interruption (its own echo, say).
      const before = continuity(client, m.answer.itemId, m.answer.responseId, firstHeard, onset);
      const after = continuity(client, m.answer.itemId, m.answer.responseId, onset, m.observeEndMs);
      const stoppedAt = after.lastSampleMs;
      const next = answersCreated(client, onset, Infinity)[0];
      const stopped = stoppedAt !== null && stoppedAt <= m.eventEndMs! + STOP_WITHIN_MS;
      return {
        ...none,
        falseInterruption: before.cut,
        longestHoleMs: before.longestHoleMs,
        interruptionSuccess: stopped && next !== undefined && heard(client, next.itemId),
        onsetToStopMs: stoppedAt !== null && stoppedAt > onset ? stoppedAt - onset : null,
        onsetToDuckMs: duckHeard(client, m.answer.itemId, onset).onsetToDuckMs,
        responseLatencyMs: next ? next.firstMs - m.eventEndMs! : null,
        audibleGaps: before.gaps,
        repeats: before.repeats,
        detail: { ...detail, holesBefore: before.holes, cutBeforeBargeIn: before.cut },
      };
    }
  }
}

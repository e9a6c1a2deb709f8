// A turn judged incomplete waits here for the rest of the speech; the pieces merge into one user
// item (audio, features and transcript concatenated) that is decided and answered once.
import type { AudioSegment, MonitorDecision } from '../../models/types.js';
import type { StoredItem } from '../conversation/conversation.js';
import type { UtteranceAnnouncement } from '../scheduler/duplex-scheduler.js';
import type { EndOfTurnVerdict } from './end-of-turn.js';

export interface TurnInput {
  item: StoredItem;
  segment: AudioSegment;
  transcript: string | undefined;
  announcement: UtteranceAnnouncement;
  /** performance.now() when the first piece of the turn was ended by the silence timer. */
  endedAtMs: number;
}

export interface HeldTurn extends TurnInput {
  verdict: EndOfTurnVerdict;
  /** The monitor's decision when it was the judge (reused when the bound runs out). */
  decision?: MonitorDecision;
}

/** Two pieces of one turn as one segment (the pause between them is not included). */
export function mergeSegments(a: AudioSegment, b: AudioSegment): AudioSegment {
  const samples = new Float32Array(a.samples.length + b.samples.length);
  samples.set(a.samples, 0);
  samples.set(b.samples, a.samples.length);
  const merged: AudioSegment = { samples, sampleRate: 16000, startMs: a.startMs, endMs: b.endMs };
  if (a.mel && b.mel && a.mel.bins === b.mel.bins && a.mel.preset === b.mel.preset) {
    const data = new Float32Array(a.mel.data.length + b.mel.data.length);
    data.set(a.mel.data, 0);
    data.set(b.mel.data, a.mel.data.length);
    merged.mel = { preset: a.mel.preset, bins: a.mel.bins, frames: a.mel.frames + b.mel.frames, data };
  }
  return merged;
}

export function mergeTranscripts(a: string | undefined, b: string | undefined): string | undefined {
  const parts = [a, b].map((t) => t?.trim()).filter((t): t is string => !!t);
  return parts.length > 0 ? parts.join(' ') : a === undefined && b === undefined ? undefined : '';
}

/** The later item becomes the whole turn: its audio part gets the merged segment and transcript. */
export function mergeInto(later: StoredItem, segment: AudioSegment, transcript: string | undefined): void {
  const part = later.parts.find((p) => p.type === 'input_audio');
  if (part?.type === 'input_audio') {
    part.segment = segment;
    if (transcript !== undefined || part.transcript !== null) part.transcript = transcript ?? '';
  }
}

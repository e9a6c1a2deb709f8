// Part of bench:echo: the pauses the echo alone draws. A session pauses its answer at a tentative
// onset (voice_onset: speech may be starting) and resumes it when the VAD drops it; through the
// socket the client, its buffer still full, hears nothing, but the answer stopped coming for a
// while. Two answers, each in two espeak-ng voices, played into the four rooms at 0, +6 and -6 dB
// (re the user's voice), no user: per answer the tentative onsets (ms into it) and the turns
// started (speech_started).
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { speak } from '../../test/support/espeak.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';

/** The second answer's words (the first is bench:echo's answer). */
const OTHER_TEXT = 'Rivers begin as small streams high in the mountains, fed by rain and melting snow. As they flow downhill they join together and grow wider, carving valleys through the rock over thousands of years.';
const VOICES = ['en-us', 'en-us+m3'];
const LEVELS_DB = [0, 6, -6];

export interface EchoPauseSummary {
  answers: number;
  /** Tentative onsets (voice_onset), and turns started (speech_started), in all. */
  pauses: number;
  turns: number;
  /** One line per answer that drew either: text, voice, room, level, when. */
  cells: string[];
}

export async function runEchoPauseBench(silero: SileroModel, answerText: string, userDbfs: number): Promise<EchoPauseSummary> {
  const summary: EchoPauseSummary = { answers: 0, pauses: 0, turns: 0, cells: [] };
  for (const [t, text] of [answerText, OTHER_TEXT].entries()) {
    for (const voice of VOICES) {
      const answer = speak(text, voice)!;
      for (const room of ROOMS) {
        for (const echoDb of LEVELS_DB) {
          const sim = { assistant: answer, room, echoGain: echoGainFor(answer, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, durationMs: answer.length / 16 + 800 };
          const { tentative, onsets } = await onsetsThroughFrontEnd(silero, sim, { gate: true });
          summary.answers++;
          summary.pauses += tentative.length;
          summary.turns += onsets.length;
          if (tentative.length || onsets.length) summary.cells.push(`answer ${t + 1} ${voice} ${room.name} ${echoDb} dB: paused at ${tentative.map(Math.round).join(', ') || '-'} ms; turns at ${onsets.map(Math.round).join(', ') || '-'} ms`);
        }
      }
    }
  }
  return summary;
}

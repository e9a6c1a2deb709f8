import { Type } from '@sinclair/typebox';

// Owned by the interrupt scheduler (server/scheduler/).
export const SchedulerSection = Type.Object(
  {
    tentativePause: Type.Boolean({ default: true, description: "Pause an answer at the first speech frame, before the VAD's minimum speech confirms it, and resume at once (no audible gap: the audio sent ahead covers it) if it proves a blip. Off: pause only once speech is confirmed and has lasted minInterruptSpeechMs." }),
    earlyVerdict: Type.Boolean({ default: true, description: 'While an answer is paused on speech, the monitor judges that speech at its first short pause (turns.speculativePauseMs) rather than after the silence timer: noise (a cough, an "mm-hm") resumes the answer that much sooner; the verdict is reused when the timer ends the segment, and voided if the speech goes on (the answer then pauses again).' }),
    minInterruptSpeechMs: Type.Integer({ minimum: 0, default: 200, description: 'A pause becomes firm only once speech has lasted this long since its onset (a tentative pause whose speech stops sooner resumes; with tentativePause off, the pause itself waits for it). The VAD already requires audio.vad.minSpeechMs before it confirms speech.' }),
    duckMs: Type.Integer({ minimum: 0, default: 0, description: "0 (default): speech over an answer pauses it at once (the first speech frames; see tentativePause). Above 0, a duck instead: speech over a spoken answer first lowers its voice by duckGainDb while it keeps playing (duet.response.ducked), and pauses it only once the speech has lasted this long since its onset (800 is a good value). An \"mm-hm\" shorter than that then leaves a dip instead of a hole at a plain OpenAI client (it cannot pause its playback), but a real barge-in is heard lowered, not stopped, until then." }),
    duckAfterMs: Type.Integer({ minimum: 0, default: 600, description: 'An answer that began playing less than this ago is paused, not ducked (see duckMs): speech that soon is the user going on with their own turn (the answer started in a pause of theirs), not a backchannel.' }),
    duckGainDb: Type.Number({ maximum: 0, minimum: -60, default: -15, description: 'How much a ducked answer is lowered, dB (see duckMs).' }),
    pauseTimeoutMs: Type.Integer({ minimum: 1, default: 2000, description: 'A pause with no monitor decision by then resumes the answer.' }),
    echoGuardMs: Type.Integer({ minimum: 0, default: 4000, description: 'A segment whose transcript matches what the assistant said this recently is noise (0: off).' }),
    echoSimilarity: Type.Number({ minimum: 0, maximum: 1, default: 0.6, description: 'Word-overlap ratio above which a transcript counts as echo.' }),
    historyTurns: Type.Integer({ minimum: 1, default: 8, description: 'Conversation turns the monitor sees.' }),
  },
  { additionalProperties: false, default: {} },
);

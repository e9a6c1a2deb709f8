// FD-Bench / SID-Bench style scenarios, each a few seconds of one session: what the user says or
// what happens in the room, placed on the microphone in real time relative to what the client
// hears. Each repetition varies voice, speed, wording and timing from its seed.
import type { SimClient } from './client.js';
import { room, type RoomPath } from './room.js';
import { between, click, concat, cough, distant, music, pick, realQuestion, say, silence, SPEECH_DBFS } from './sounds.js';

/**
 * question: a wake-free question in silence (the system should answer).
 * pause: one question said in two halves with a 0.7 s gap (it should not take the turn at the gap).
 * during: a sound while the answer plays (it should go on, uncut).
 * idle: a sound in silence that is not addressed to the system (it should not answer).
 * barge-in: a new question while the answer plays (it should stop and answer that).
 */
export type ScenarioKind = 'question' | 'pause' | 'during' | 'idle' | 'barge-in';

/** Times (performance.now ms) a scenario marks, for the metrics. */
export interface Marks {
  /** End of the user's last addressed speech (the turn the system should answer). */
  finalEndMs: number | null;
  /** The answer in progress when the event came (during / barge-in). */
  answer: { itemId: string; responseId: string } | null;
  /** The event: backchannel, noise, side talk, barge-in, or the pause's second half. */
  eventOnsetMs: number | null;
  eventEndMs: number | null;
  /** Metrics look at nothing after this. */
  observeEndMs: number;
}

/**
 * Sounds and timings of one repetition, made before any session streams: synthesis (espeak-ng is
 * a blocking child process) must never stall the real-time microphones of other sessions.
 */
export interface Prepared {
  /** The question (or the whole two-half question for `pause`). */
  first: Float32Array | null;
  /** The event: backchannel, noise, side talk, barge-in question. */
  event: Float32Array | null;
  /** How much of the answer is heard before the event (800-1600 ms). */
  playMs: number;
  /** pause: where the second half starts in `first`, ms. */
  secondHalfAtMs?: number;
}

export interface Scenario {
  name: string;
  kind: ScenarioKind;
  /** What the sound is, for the report. */
  about: string;
  /** The loudspeaker -> microphone path this scenario's client has (null: headset). */
  room: (random: () => number) => RoomPath | null;
  prepare: (random: () => number) => Prepared;
  run: (client: SimClient, p: Prepared) => Promise<Marks>;
}

const VOICES = ['en-us', 'en-gb', 'en-us+f3', 'en-us+m3'];
const QUESTIONS = ['What is the tallest mountain in the world?', 'How do I make a good cup of tea?', 'Why is the sky blue during the day?', 'Can you tell me a short story about a cat?'];
const BARGE_INS = ['Wait, what about the moon instead?', 'Sorry, how far away is the sun?', 'Stop, tell me about Paris please.'];
const HALVES: [string, string][] = [
  ['I would like to know', 'how far away the moon is.'],
  ['Can you tell me', 'what the weather is like in Paris?'],
  ['I was wondering', 'how long it takes to boil an egg.'],
];
const BACKCHANNELS = ['mm-hm', 'yeah', 'uh-huh', 'right'];
const SIDE_TALK = ['Did you remember to buy milk on the way home?', 'The meeting moved to three o clock tomorrow.', 'Can you pass me the keys on the table?'];
/** Background music level: 12 dB under the user's speech. */
const MUSIC_DBFS = SPEECH_DBFS - 12;
/** How long after the event's end an answer is watched (the server's 2 s pause timeout fits inside). */
const WATCH_AFTER_EVENT_MS = 2500;
/** The gap inside the `pause` question. */
const PAUSE_MS = 700;

function voice(random: () => number): { v: string; wpm: number } {
  return { v: pick(random, VOICES), wpm: Math.round(between(random, 150, 185)) };
}

/** A spoken question: espeak-ng, or every other time real recorded words when ../shared is there. */
function question(random: () => number): Float32Array {
  if (random() < 0.5) {
    const real = realQuestion(random);
    if (real) return real;
  }
  const { v, wpm } = voice(random);
  return say(pick(random, QUESTIONS), v, wpm);
}

/** First audio of a response created after `afterMs`, once `playMs` of it has been heard. */
async function listen(client: SimClient, afterMs: number, playMs: number, timeoutMs: number): Promise<{ itemId: string; responseId: string } | null> {
  let found: { itemId: string; responseId: string } | null = null;
  const created = () => new Set(client.log.filter((e) => e.type === 'response.created' && e.atMs >= afterMs).map((e) => (e.event.response as { id: string }).id));
  try {
    await client.until(
      () => {
        const ids = created();
        const span = client.playback.spans.find((s) => ids.has(s.responseId));
        if (span) found = { itemId: span.itemId, responseId: span.responseId };
        return found !== null && client.playedSamples(found.itemId) >= playMs * 16;
      },
      timeoutMs,
      'an answer',
    );
  } catch {
    /* no (long enough) answer in time: the metrics say so */
  }
  return found;
}

/** Asks the question, then returns while its answer has played `playMs`. */
async function askAndListen(client: SimClient, p: Prepared): Promise<{ itemId: string; responseId: string } | null> {
  const q = client.say(p.first!, 400);
  return listen(client, q.onsetMs, p.playMs, 12000);
}

function during(name: string, about: string, sound: (random: () => number) => Float32Array): Scenario {
  return {
    name,
    kind: 'during',
    about,
    room: () => null,
    prepare: (random) => ({ first: question(random), playMs: between(random, 800, 1600), event: sound(random) }),
    run: async (client, p) => {
      const answer = await askAndListen(client, p);
      const event = client.say(p.event!);
      const observeEndMs = event.endMs + WATCH_AFTER_EVENT_MS;
      await client.sleepUntil(observeEndMs);
      return { finalEndMs: null, answer, eventOnsetMs: event.onsetMs, eventEndMs: event.endMs, observeEndMs };
    },
  };
}

function bargeIn(name: string, about: string, withEcho: boolean): Scenario {
  return {
    name,
    kind: 'barge-in',
    about,
    room: (random) => (withEcho ? room(random) : null),
    prepare: (random) => {
      const first = question(random);
      const playMs = between(random, 800, 1600);
      const { v, wpm } = voice(random);
      return { first, playMs, event: say(pick(random, BARGE_INS), v, wpm) };
    },
    run: async (client, p) => {
      const answer = await askAndListen(client, p);
      const event = client.say(p.event!);
      await listen(client, event.onsetMs, 1000, event.endMs - client.nowMs() + 5000);
      return { finalEndMs: event.endMs, answer, eventOnsetMs: event.onsetMs, eventEndMs: event.endMs, observeEndMs: client.nowMs() };
    },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'question',
    kind: 'question',
    about: 'wake-free question in silence',
    room: () => null,
    prepare: (random) => ({ first: question(random), event: null, playMs: 1500 }),
    run: async (client, p) => {
      const q = client.say(p.first!, 400);
      await listen(client, q.onsetMs, p.playMs, 12000);
      return { finalEndMs: q.endMs, answer: null, eventOnsetMs: null, eventEndMs: null, observeEndMs: client.nowMs() };
    },
  },
  {
    name: 'pause',
    kind: 'pause',
    about: 'one question in two halves, 0.7 s apart',
    room: () => null,
    prepare: (random) => {
      const [first, second] = pick(random, HALVES);
      const { v, wpm } = voice(random);
      const a = say(first, v, wpm);
      return { first: concat(a, silence(PAUSE_MS), say(second, v, wpm)), event: null, playMs: 1000, secondHalfAtMs: a.length / 16 + PAUSE_MS };
    },
    run: async (client, p) => {
      const whole = client.say(p.first!, 400);
      await listen(client, whole.endMs, p.playMs, 8000 + (whole.endMs - client.nowMs()));
      return { finalEndMs: whole.endMs, answer: null, eventOnsetMs: whole.onsetMs + p.secondHalfAtMs!, eventEndMs: whole.endMs, observeEndMs: client.nowMs() };
    },
  },
  during('backchannel', 'mm-hm / yeah / uh-huh / right during the answer, said quickly', (random) => {
    const { v } = voice(random);
    return say(pick(random, BACKCHANNELS), v, Math.round(between(random, 220, 260)));
  }),
  during('cough', 'band-passed noise burst, 150-300 ms, at speech level', (random) => cough(random)),
  during('click', '60 ms click/transient, 6 dB over speech', (random) => click(random)),
  during('music', `harmonic tones 1.5-2.5 s at ${MUSIC_DBFS} dBFS (12 dB under speech)`, (random) => music(random, between(random, 1500, 2500), MUSIC_DBFS)),
  {
    name: 'side-talk',
    kind: 'idle',
    about: 'speech across the room, -15 dB with reverb, not addressed',
    room: () => null,
    prepare: (random) => {
      const { v, wpm } = voice(random);
      return { first: null, event: distant(say(pick(random, SIDE_TALK), v, wpm), random, -15), playMs: 0 };
    },
    run: async (client, p) => {
      const event = client.say(p.event!, 400);
      const observeEndMs = event.endMs + WATCH_AFTER_EVENT_MS;
      await client.sleepUntil(observeEndMs);
      return { finalEndMs: null, answer: null, eventOnsetMs: event.onsetMs, eventEndMs: event.endMs, observeEndMs };
    },
  },
  bargeIn('barge-in', 'a new question during the answer (headset)', false),
  bargeIn('barge-in-echo', "the same over the assistant's own echo (loudspeaker, room())", true),
];

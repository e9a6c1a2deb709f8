// Voice names and speaking rate for espeak-ng.
//
// Realtime clients send OpenAI voice names (`alloy`, `coral`, ...); each maps to an
// espeak-ng language + variant so that different names sound different. Any
// espeak voice spec (`de`, `en-gb-x-rp`, `fr+f2`) is accepted as well; whether the
// installed espeak data has it is only known when synthesis starts.

/** OpenAI Realtime voice name -> espeak-ng `language+variant`. */
export const OPENAI_VOICE_MAP: Readonly<Record<string, string>> = {
  alloy: 'en-us+m3',
  ash: 'en-us+m1',
  ballad: 'en-gb+m4',
  coral: 'en-us+f3',
  echo: 'en-us+m2',
  sage: 'en-us+f4',
  shimmer: 'en-us+f2',
  verse: 'en-us+m5',
  marin: 'en-us+f1',
  cedar: 'en-us+m6',
};

/** Advertised voices: the OpenAI names plus a few plain espeak languages (any other spec works too). */
export const ESPEAK_VOICES: readonly string[] = [
  ...Object.keys(OPENAI_VOICE_MAP),
  'en-us',
  'en-gb',
  'de',
  'fr',
  'es',
  'it',
  'pt',
  'nl',
  'ru',
  'cmn',
  'ja',
];

const ESPEAK_SPEC = /^[a-z]{2,3}(-[a-z0-9]{1,8})*(\+[a-z0-9]{1,16})?$/i;

/** The espeak voice spec for a requested voice name, or null when the name cannot be an espeak voice. */
export function resolveEspeakVoice(name: string): string | null {
  const mapped = OPENAI_VOICE_MAP[name.toLowerCase()];
  if (mapped) return mapped;
  return ESPEAK_SPEC.test(name) ? name : null;
}

/** espeak's own default rate (words per minute) is speed 1. */
export const ESPEAK_BASE_WPM = 175;
export const MIN_SPEED = 0.25;
export const MAX_SPEED = 4;

/**
 * Words per minute for a speed factor (0.25-4, clamped), within what the engine can
 * do: espeak-ng never goes below 80 wpm (so speeds under ~0.46 all sound like 0.46),
 * and builds without the sonic speed-up (the WASM one) stop at 450 wpm (~2.6x).
 */
export function wordsPerMinute(speed: number | undefined, minWpm: number, maxWpm: number): number {
  const factor = speed === undefined || !Number.isFinite(speed) ? 1 : Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed));
  return Math.min(maxWpm, Math.max(minWpm, Math.round(ESPEAK_BASE_WPM * factor)));
}

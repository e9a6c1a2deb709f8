// Default backchannel/filler and command words per language (config turns.backchannelWords /
// turns.commandWords replace them). Matching ignores case, punctuation and hyphens ("mm-hm" = "mmhm").

export const DEFAULT_BACKCHANNEL_WORDS: Record<string, string[]> = {
  en: ['mm', 'mhm', 'mm-hm', 'mmhmm', 'hm', 'hmm', 'uh-huh', 'uh', 'um', 'er', 'ah', 'oh', 'yeah', 'yep', 'yes', 'right', 'okay', 'ok', 'sure', 'i see', 'got it', 'cool', 'nice', 'wow', 'true', 'exactly'],
  de: ['mhm', 'hm', 'ja', 'genau', 'okay', 'ok', 'aha', 'äh', 'ähm', 'stimmt', 'richtig'],
  fr: ['mhm', 'hm', 'oui', 'ouais', "d'accord", 'ok', 'euh', 'ah', 'voilà', 'exactement'],
  es: ['mhm', 'sí', 'vale', 'claro', 'ajá', 'eh', 'este', 'ok', 'bueno', 'exacto'],
};

export const DEFAULT_COMMAND_WORDS: Record<string, string[]> = {
  en: ['stop', 'wait', 'hold on', 'pause', 'shut up', 'quiet', 'enough', 'cancel', 'no', 'hey'],
  de: ['stopp', 'halt', 'warte', 'moment', 'ruhe', 'nein'],
  fr: ['stop', 'arrête', 'attends', 'attendez', 'non'],
  es: ['para', 'espera', 'alto', 'basta', 'no'],
};

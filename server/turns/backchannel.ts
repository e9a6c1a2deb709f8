// "mm-hm", "yeah", "uh" while the assistant talks are listening noises, not turns; "stop" and
// "wait" are always turns. Decided from the transcript alone, so the monitor is not asked.

export type ShortUtterance = 'backchannel' | 'command' | null;

/** Lower case, no punctuation, hyphens and apostrophes folded: "Mm-hm." -> "mmhm". */
function normalize(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFC')
    .replace(/[-'’]/g, '')
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

interface Vocabulary {
  backchannels: Set<string>;
  commands: Set<string>;
  /** Longest phrase, in words. */
  longest: number;
}

export class BackchannelClassifier {
  private readonly byLanguage = new Map<string, Vocabulary>();

  constructor(backchannels: Record<string, string[]>, commands: Record<string, string[]>) {
    for (const lang of new Set([...Object.keys(backchannels), ...Object.keys(commands)])) {
      const b = (backchannels[lang] ?? []).map(normalize).filter(Boolean);
      const c = (commands[lang] ?? []).map(normalize).filter(Boolean);
      const longest = Math.max(1, ...[...b, ...c].map((p) => p.split(' ').length));
      this.byLanguage.set(lang, { backchannels: new Set(b), commands: new Set(c), longest });
    }
  }

  /**
   * `backchannel` when the transcript is made only of backchannel/filler phrases; `command` when
   * it is made only of commands and fillers, with at least one command; else null. `language`:
   * an ISO code ("en", "en-US"); unknown languages fall back to English.
   */
  classify(transcript: string | undefined, language = 'en'): ShortUtterance {
    if (!transcript) return null;
    const vocab = this.byLanguage.get(language.toLowerCase().split(/[-_]/)[0]!) ?? this.byLanguage.get('en');
    if (!vocab) return null;
    const words = normalize(transcript).split(' ').filter(Boolean);
    if (words.length === 0) return null;
    let commands = 0;
    // Greedy longest-phrase match from the left ("hold on", "i see" are one phrase).
    for (let i = 0; i < words.length; ) {
      let matched = 0;
      for (let n = Math.min(vocab.longest, words.length - i); n >= 1 && matched === 0; n--) {
        const phrase = words.slice(i, i + n).join(' ');
        if (vocab.commands.has(phrase)) {
          commands += 1;
          matched = n;
        } else if (vocab.backchannels.has(phrase)) matched = n;
      }
      if (matched === 0) return null;
      i += matched;
    }
    return commands > 0 ? 'command' : 'backchannel';
  }
}

import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** `<4>`: incomplete (the speaker paused mid-turn; the server waits for the rest). */
const StateLabel = Type.Union([Type.Literal('<1>'), Type.Literal('<2>'), Type.Literal('<3>'), Type.Literal('<4>')]);

/** TESTING ONLY: what scripted instances answer. Both instances share one script state, so a role swap continues the sequence. */
export const ScriptSchema = Type.Object(
  {
    /** Replies used in order (the last one repeats). A reply whose `when` substring occurs in the last user text wins first. */
    replies: Type.Array(
      Type.Object({ text: Type.String(), when: Type.Optional(Type.String()) }, { additionalProperties: false }),
      { minItems: 1 },
    ),
    /** Delay before each token (tokens are words with their trailing space). */
    tokenDelayMs: Type.Number({ minimum: 0, default: 20 }),
    /** State per classified segment, in order (the last one repeats); `rules` by transcript substring win first. */
    decisions: Type.Array(StateLabel, { default: ['<1>'] }),
    rules: Type.Array(Type.Object({ when: Type.String(), state: StateLabel }, { additionalProperties: false }), { default: [] }),
    decisionDelayMs: Type.Number({ minimum: 0, default: 5 }),
    /** Delay before the first token instead of `tokenDelayMs` (a model's time to first token); absent: `tokenDelayMs`. */
    firstTokenDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
    /**
     * Decide audio segments by their sound, for benchmarks (after `rules`, instead of `decisions`):
     * `<1>` when the segment holds at least `minQueryMs` of 20 ms frames at or above `minLevelDbfs`
     * (RMS), else `<2>`. Stands in for a model that tells a question from a cough, a backchannel,
     * or distant speech by loudness and length alone.
     */
    audioRule: Type.Optional(
      Type.Object({ minQueryMs: Type.Number({ minimum: 0 }), minLevelDbfs: Type.Number({ maximum: 0 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type Script = Static<typeof ScriptSchema>;

export function parseScript(value: unknown): Script {
  const withDefaults = Value.Default(ScriptSchema, structuredClone(value));
  const first = Value.Errors(ScriptSchema, withDefaults).First();
  if (first) throw new Error(`invalid model script at ${first.path || '/'}: ${first.message}`);
  return withDefaults as Script;
}

export function loadScript(path: string): Script {
  return parseScript(JSON.parse(readFileSync(path, 'utf8')));
}

/** Sequence state shared by the two instances of one scripted model set. */
export class ScriptCursor {
  private reply = 0;
  private decision = 0;
  constructor(readonly script: Script) {}

  nextReply(lastUserText: string): string {
    const rule = this.script.replies.find((r) => r.when !== undefined && lastUserText.includes(r.when));
    if (rule) return rule.text;
    const sequential = this.script.replies.filter((r) => r.when === undefined);
    const list = sequential.length > 0 ? sequential : this.script.replies;
    const text = list[Math.min(this.reply, list.length - 1)]!.text;
    this.reply += 1;
    return text;
  }

  nextDecision(transcript: string | undefined, samples?: Float32Array): '<1>' | '<2>' | '<3>' | '<4>' {
    if (transcript) {
      const rule = this.script.rules.find((r) => transcript.includes(r.when));
      if (rule) return rule.state;
    }
    const audioRule = this.script.audioRule;
    if (audioRule && samples) return loudMs(samples, audioRule.minLevelDbfs) >= audioRule.minQueryMs ? '<1>' : '<2>';
    const list = this.script.decisions;
    const state = list[Math.min(this.decision, list.length - 1)]!;
    this.decision += 1;
    return state;
  }
}

/** Milliseconds of 16 kHz audio in 20 ms frames whose RMS is at least `levelDbfs`. */
export function loudMs(samples: Float32Array, levelDbfs: number): number {
  const frame = 320;
  const threshold = 10 ** (levelDbfs / 20);
  let loud = 0;
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let energy = 0;
    for (let i = start; i < start + frame; i++) energy += samples[i]! * samples[i]!;
    if (Math.sqrt(energy / frame) >= threshold) loud += 20;
  }
  return loud;
}

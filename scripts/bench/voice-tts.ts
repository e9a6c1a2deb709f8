// Speech output benchmark (part of `npm run bench:voice`).
//
//  1. Per espeak engine: start-up, time to first audio of a clause, real-time
//     factor (synthesis time / audio duration), streaming, word timings.
//  2. First generated clause -> first audio byte sent by the pacer (text chunker,
//     synthesis, resampling, encoding, pacing: the real pipeline on the real
//     clock). Baseline in the same run: the same answer synthesized whole once
//     it is complete (speaking only after generation ends, as VITA-1.5 does):
//     its first audio, plus the generation time it waits for.
//  3. Stale audio at an interrupt (ms sent but not yet played) under the default
//     pacing, with a simulated listener (ManualClock) interrupting at spread-out
//     moments. Baseline in the same run: no pacing (everything synthesized is
//     sent at once).
import { pathToFileURL } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { VoiceSection } from '../../server/config/sections/voice.js';
import { createEspeakSynthesizer, type EspeakSynthesizer } from '../../models/tts/espeak/index.js';
import type { EspeakEngineName } from '../../models/tts/espeak/engine.js';
import { SpeechTrack } from '../../server/voice/speech-track.js';
import { AudioPacer } from '../../server/voice/pacer.js';
import { ManualClock } from '../../server/voice/clock.js';
import { writeResults } from './load/report.js';

const ANSWER =
  'Sure, here is a quick plan for tonight. First, boil a large pot of salted water, then add the pasta and stir it well. ' +
  'While it cooks, warm some olive oil with garlic in a pan; add the tomatoes after two minutes. ' +
  'Drain the pasta, mix everything together, and serve it with fresh basil and a little cheese on top.';
const CLAUSES = [
  'Sure, here is a quick plan for tonight.',
  'The weather should stay dry until the evening.',
  'Your meeting with Anna starts at ten thirty.',
  'I found three restaurants near the station.',
  'That sounds like a great idea, let us try it.',
  'The train leaves from platform four in twenty minutes.',
];
const TOKENS_PER_SECOND = 30; // a typical small local LLM, for the baseline's generation wait

export interface EngineResult {
  engine: EspeakEngineName;
  available: boolean;
  reason?: string;
  startMs?: number;
  firstAudioMs?: number;
  rtf?: number;
  streaming?: boolean;
  wordTimings?: boolean;
}

export interface VoiceBenchResult {
  engines: EngineResult[];
  defaultEngine: string;
  firstClauseToFirstAudio: { medianMs: number; p90Ms: number; baselineWholeAnswerMs: number; baselineGenerationWaitMs: number; ratio: number };
  staleAtInterrupt: { leadMs: number; meanMs: number; maxMs: number; unpacedMeanMs: number; ratio: number; interrupts: number };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function firstAudioOf(tts: EspeakSynthesizer, text: string): Promise<{ firstMs: number; totalMs: number; audioMs: number }> {
  const t0 = performance.now();
  let firstMs = -1;
  let audioMs = 0;
  for await (const chunk of tts.synthesize({ text })) {
    if (firstMs < 0 && chunk.samples.length > 0) firstMs = performance.now() - t0;
    audioMs += (chunk.samples.length * 1000) / chunk.sampleRate;
  }
  return { firstMs, totalMs: performance.now() - t0, audioMs };
}

async function benchEngine(engine: EspeakEngineName): Promise<EngineResult> {
  const t0 = performance.now();
  let tts: EspeakSynthesizer;
  try {
    tts = await createEspeakSynthesizer({ engine });
  } catch (err) {
    return { engine, available: false, reason: (err as Error).message };
  }
  const startMs = performance.now() - t0;
  try {
    await firstAudioOf(tts, 'Warm up.');
    const first: number[] = [];
    for (const clause of CLAUSES) first.push((await firstAudioOf(tts, clause)).firstMs);
    const rtf: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await firstAudioOf(tts, ANSWER);
      rtf.push(run.totalMs / run.audioMs);
    }
    return { engine, available: true, startMs, firstAudioMs: quantile(first, 0.5), rtf: quantile(rtf, 0.5), streaming: tts.engine.streaming, wordTimings: tts.wordTimings };
  } finally {
    await tts.close();
  }
}

/** First clause complete (with the next token) -> first frame handed to the transport, real clock. */
async function firstClauseToFirstAudio(tts: EspeakSynthesizer, leadMs: number): Promise<number> {
  const samples: number[] = [];
  for (const clause of CLAUSES) {
    const track = new SpeechTrack({ tts });
    let sentAt = -1;
    const pacer = new AudioPacer(track, { leadMs, send: () => (sentAt < 0 ? (sentAt = performance.now()) : 0), onCancel: () => track.cancel() });
    const run = pacer.run();
    const t0 = performance.now();
    track.pushText(`${clause} And`); // the token after the clause's end decides the cut
    while (sentAt < 0) {
      if (performance.now() - t0 > 10_000) throw new Error('no audio within 10 s of the first clause');
      await new Promise((resolve) => setImmediate(resolve));
    }
    samples.push(sentAt - t0);
    pacer.cancel();
    await run;
  }
  return quantile(samples, 0.5);
}

/** Stale audio when a simulated listener interrupts at `interruptMs` of playback. */
async function staleAt(tts: EspeakSynthesizer, leadMs: number, interruptMs: number): Promise<number> {
  const clock = new ManualClock();
  const track = new SpeechTrack({ tts });
  const pacer = new AudioPacer(track, { leadMs, clock, send: () => {}, onCancel: () => track.cancel() });
  const run = pacer.run();
  for (const token of ANSWER.match(/\S+\s*/g)!) track.pushText(token);
  track.endText();
  for (let t = 0; t < interruptMs; t += 10) {
    // Synthesis runs on the real clock; let it catch up (RTF << 1) before simulated time moves on.
    for (let spins = 0; pacer.state === 'waiting-source' && spins < 2000; spins++) await new Promise((resolve) => setTimeout(resolve, 1));
    await clock.advance(Math.min(10, interruptMs - t));
  }
  const { staleMs } = pacer.cancel();
  await run;
  return staleMs;
}

export async function runVoiceBench(): Promise<VoiceBenchResult> {
  const defaults = Value.Default(VoiceSection, {}) as { leadMs: number };
  const engines: EngineResult[] = [];
  for (const engine of ['libespeak', 'cli', 'wasm'] as EspeakEngineName[]) engines.push(await benchEngine(engine));

  const tts = await createEspeakSynthesizer();
  try {
    await firstAudioOf(tts, 'Warm up.');
    const chunked: number[] = [];
    for (let i = 0; i < 3; i++) chunked.push(await firstClauseToFirstAudio(tts, defaults.leadMs));
    const whole = (await firstAudioOf(tts, ANSWER)).firstMs;
    // The unchunked path also waits for the rest of the answer to be generated.
    const tokensAfterFirstClause = Math.round((ANSWER.length - ANSWER.indexOf('.') - 1) / 4);
    const generationWaitMs = (tokensAfterFirstClause / TOKENS_PER_SECOND) * 1000;
    const medianMs = quantile(chunked, 0.5);

    const interrupts = [200, 450, 700, 1000, 1350, 1800, 2300, 2900, 3600, 4400];
    const stale: number[] = [];
    const unpaced: number[] = [];
    for (const at of interrupts) {
      stale.push(await staleAt(tts, defaults.leadMs, at));
      unpaced.push(await staleAt(tts, Number.MAX_SAFE_INTEGER, at));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      engines,
      defaultEngine: tts.id,
      firstClauseToFirstAudio: {
        medianMs,
        p90Ms: quantile(chunked, 0.9),
        baselineWholeAnswerMs: whole,
        baselineGenerationWaitMs: generationWaitMs,
        ratio: medianMs / (whole + generationWaitMs),
      },
      staleAtInterrupt: {
        leadMs: defaults.leadMs,
        meanMs: mean(stale),
        maxMs: Math.max(...stale),
        unpacedMeanMs: mean(unpaced),
        ratio: mean(stale) / mean(unpaced),
        interrupts: interrupts.length,
      },
    };
  } finally {
    await tts.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runVoiceBench();
  for (const e of result.engines) {
    console.log(
      e.available
        ? `${e.engine.padEnd(10)} start ${e.startMs!.toFixed(0)} ms, first audio ${e.firstAudioMs!.toFixed(1)} ms, RTF ${e.rtf!.toFixed(4)}, streaming ${e.streaming}, word timings ${e.wordTimings}`
        : `${e.engine.padEnd(10)} unavailable: ${e.reason}`,
    );
  }
  const f = result.firstClauseToFirstAudio;
  console.log(
    `first clause -> first audio sent (${result.defaultEngine}): median ${f.medianMs.toFixed(1)} ms, p90 ${f.p90Ms.toFixed(1)} ms; ` +
      `whole-answer baseline ${f.baselineWholeAnswerMs.toFixed(1)} ms + ${f.baselineGenerationWaitMs.toFixed(0)} ms generation wait; ratio ${f.ratio.toFixed(4)}`,
  );
  const s = result.staleAtInterrupt;
  console.log(
    `stale audio at interrupt (leadMs ${s.leadMs}, ${s.interrupts} interrupts): mean ${s.meanMs.toFixed(0)} ms, max ${s.maxMs.toFixed(0)} ms; ` +
      `unpaced ${s.unpacedMeanMs.toFixed(0)} ms; ratio ${s.ratio.toFixed(3)}`,
  );
  console.log(`wrote ${writeResults('voice', result)}`);
}

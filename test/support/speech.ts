import { readFileSync } from 'node:fs';
import { readWav } from './wav.js';
import type { TestClient } from './client.js';
import { floatToInt16 } from '../../server/voice/output-format.js';

export interface SpeechFixture {
  samples: Float32Array;
  truth: { turns: { onsetMs: number; offsetMs: number; text?: string }[] };
}

/** A 16 kHz fixture from test/fixtures/speech with its ground truth. */
export function loadSpeech(name: string): SpeechFixture {
  const dir = new URL('../fixtures/speech/', import.meta.url);
  const truth = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as SpeechFixture['truth'];
  return { samples: readWav(new URL(`${name}.wav`, dir)), truth };
}

/** Little-endian PCM16 bytes (the platform is little-endian, as the wire format). */
export function toPcm16(samples: Float32Array): Buffer {
  const pcm = floatToInt16(samples);
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Streams 16 kHz PCM16 as binary frames of 20 ms at `speed` x real time. */
export async function streamAudio(client: TestClient, samples: Float32Array, speed = 2): Promise<void> {
  const chunk = 320;
  const pcm = toPcm16(samples);
  const started = performance.now();
  for (let i = 0; i < samples.length; i += chunk) {
    client.ws.send(pcm.subarray(i * 2, Math.min(samples.length, i + chunk) * 2));
    const dueMs = ((i + chunk) / 16000) * 1000 / speed;
    const wait = dueMs - (performance.now() - started);
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }
}

export function silence(ms: number): Float32Array {
  return new Float32Array(Math.round(ms * 16));
}

/**
 * A session's two answers as its client plays them: `first`, `gapMs` the server sent nothing in
 * (`unsent`, as the echo simulation takes it), then `second` from `secondAtMs`.
 */
export function joinAnswers(first: Float32Array, second: Float32Array, gapMs: number): { both: Float32Array; secondAtMs: number; unsent: { fromMs: number; toMs: number } } {
  const secondAtMs = first.length / 16 + gapMs;
  return { both: concat(first, silence(gapMs), second), secondAtMs, unsent: { fromMs: first.length / 16, toMs: secondAtMs } };
}

export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The first speech turn of a fixture, with a little lead-in and the silence that ends it. */
export function firstTurn(fx: SpeechFixture, tailMs = 900): Float32Array {
  const turn = fx.truth.turns[0]!;
  return fx.samples.slice(Math.max(0, Math.round((turn.onsetMs - 300) * 16)), Math.round((turn.offsetMs + tailMs) * 16));
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

const source = readFileSync(new URL('../../server/public/audio-worklet.js', import.meta.url), 'utf8');

interface Capture {
  port: { postMessage: (message: { pcm: ArrayBuffer; peak: number }) => void; onmessage: ((e: { data: unknown }) => void) | null };
  process(inputs: Float32Array[][]): boolean;
}

/** Loads the page's capture worklet outside a browser: the AudioWorklet globals are stubbed. */
function loadCapture(contextRate: number, targetRate: number, frameMs = 40): { node: Capture; frames: Int16Array[]; peaks: number[] } {
  const processors = new Map<string, new (options: unknown) => Capture>();
  class AudioWorkletProcessor {
    port = { postMessage: (_m: unknown) => {}, onmessage: null };
  }
  runInNewContext(source, { AudioWorkletProcessor, registerProcessor: (name: string, ctor: never) => processors.set(name, ctor), sampleRate: contextRate, Math });
  const Ctor = processors.get('duet-capture')!;
  const node = new Ctor({ processorOptions: { targetRate, frameMs } });
  const frames: Int16Array[] = [];
  const peaks: number[] = [];
  node.port.postMessage = (m) => {
    frames.push(new Int16Array(m.pcm));
    peaks.push(m.peak);
  };
  return { node, frames, peaks };
}

function tone(rate: number, hz: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
}

function feed(node: Capture, signal: Float32Array, quantum = 128): void {
  for (let i = 0; i < signal.length; i += quantum) node.process([[signal.subarray(i, i + quantum)]]);
}

function joined(frames: Int16Array[]): Float32Array {
  const out = new Float32Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) for (const v of f) out[at++] = v / 0x8000;
  return out;
}

/** Amplitude of `hz` in the signal (single-bin DFT), skipping the filter's start-up. */
function amplitudeAt(signal: Float32Array, rate: number, hz: number): number {
  let re = 0;
  let im = 0;
  const from = Math.round(rate * 0.05);
  for (let i = from; i < signal.length; i++) {
    re += signal[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
    im += signal[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (signal.length - from);
}

for (const [contextRate, targetRate] of [
  [48000, 16000],
  [44100, 16000],
  [48000, 24000],
  [16000, 24000],
] as const) {
  test(`capture worklet: ${contextRate} Hz -> ${targetRate} Hz PCM16 in 40 ms frames, speech band kept, aliases removed`, () => {
    const { node, frames } = loadCapture(contextRate, targetRate);
    feed(node, tone(contextRate, 440, 1));
    const out = joined(frames);
    assert.ok(frames.every((f) => f.length === (targetRate * 40) / 1000), 'fixed-size frames');
    assert.ok(Math.abs(out.length - targetRate) <= (targetRate * 40) / 1000, `${out.length} samples for 1 s`);
    const kept = amplitudeAt(out, targetRate, 440);
    assert.ok(kept > 0.45 && kept < 0.55, `440 Hz amplitude ${kept.toFixed(3)} (0.5 in)`);

    if (contextRate > targetRate) {
      // A tone above the target Nyquist would fold back to |target - f|: the low-pass must remove it.
      const above = 0.5 * targetRate + 3000;
      const { node: n2, frames: f2 } = loadCapture(contextRate, targetRate);
      feed(n2, tone(contextRate, above, 1));
      const alias = amplitudeAt(joined(f2), targetRate, targetRate - above);
      assert.ok(alias < 0.02, `alias of ${above} Hz at ${targetRate - above} Hz: ${alias.toFixed(4)} (0.5 in)`);
    }
  });
}

test('capture worklet: stops when told, reports the peak level', () => {
  const { node, frames, peaks } = loadCapture(48000, 16000);
  feed(node, tone(48000, 300, 0.2, 0.25));
  assert.ok(frames.length >= 4);
  for (const peak of peaks.slice(1)) assert.ok(peak > 0.22 && peak < 0.27, `peak ${peak}`);
  node.port.onmessage!({ data: 'stop' });
  assert.equal(node.process([[new Float32Array(128)]]), false);
});

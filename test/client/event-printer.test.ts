// The CLI's lines for speech over an answer: what the person at the terminal reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventPrinter } from '../../scripts/client/event-printer.js';

function printed(events: Record<string, unknown>[]): string[] {
  let text = '';
  const printer = new EventPrinter({ out: (t) => (text += t), err: (t) => (text += t) });
  for (const e of events) printer.print(e as Parameters<EventPrinter['print']>[0]);
  return text.trim().split('\n');
}

test('CLI: an answer lowered, paused and resumed over the user\'s speech reads as such, the streamed answer line ended first', () => {
  const lines = printed([
    { type: 'response.output_audio_transcript.delta', delta: 'Mount Everest is' },
    { type: 'duet.response.ducked', response_id: 'r', audio_start_ms: 1200, gain_db: -15, tentative: true },
    { type: 'duet.response.paused', response_id: 'r', audio_start_ms: 1200, tentative: false },
    { type: 'duet.response.resumed', response_id: 'r', reason: 'noise' },
  ]);
  assert.deepEqual(lines, ['assistant: Mount Everest is', '[answer] lowered 15 dB: maybe you started speaking', '[answer] paused: you started speaking', '[answer] resumed (noise)']);
});

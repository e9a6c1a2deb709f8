// The audio capacity benchmark's lag probe computes, from speech_stopped's audio_end_ms alone,
// which 20 ms chunk let the VAD end the turn. Replaying a session's stream through the real
// front-end offline (each chunk fully processed before the next) shows the chunk it really was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioFrontEnd } from '../../server/audio/front-end.js';
import { createVad, frontEndMelOptions, frontEndTuning } from '../../server/audio/vad/config.js';
import { resolveConfig } from '../../server/config/load.js';
import { CAPACITY_SERVER_CONFIG, decisionChunk, sessionOffsets, tapeFor } from '../../scripts/bench/load/audio-load.js';

const SILENCE_MS = 500;
const GAP_MS = SILENCE_MS + 400; // as scripts/bench/audio.ts feeds

test('the lag probe names the exact chunk that makes the VAD end each turn', async () => {
  const audio = resolveConfig(CAPACITY_SERVER_CONFIG).audio;
  const { model, scheduler } = await createVad(audio);
  const tape = tapeFor(GAP_MS);
  const offsets = sessionOffsets(tape, GAP_MS, 3);
  let turns = 0;
  try {
    for (const offset of offsets) {
      let chunk = -1;
      const mismatches: string[] = [];
      const frontEnd = new AudioFrontEnd({
        vad: scheduler,
        mel: frontEndMelOptions(audio),
        turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: SILENCE_MS },
        tuning: frontEndTuning(audio),
        onEvent: (e) => {
          if (e.type !== 'speech_stopped') return;
          turns++;
          const predicted = decisionChunk(e.audioEndMs, SILENCE_MS);
          if (predicted !== chunk) mismatches.push(`turn ending at ${e.audioEndMs} ms: probe says chunk ${predicted}, the VAD decided on chunk ${chunk}`);
        },
      });
      for (chunk = 0; chunk < 400; chunk++) {
        const bytes = tape.chunks[(offset + chunk) % tape.chunks.length]!;
        const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
        frontEnd.push(Float32Array.from(pcm, (v) => v / 32768));
        await frontEnd.whenIdle();
      }
      frontEnd.close();
      assert.deepEqual(mismatches, [], `stream starting at tape chunk ${offset}`);
    }
  } finally {
    scheduler.close();
    await model.release();
  }
  // 1 s real clips give ~4 turns per stream, the ~2 s espeak turns used without ../shared ~2-3.
  assert.ok(turns >= 3 * 2, `8 s of clips and gaps per stream end several turns (got ${turns})`);
});

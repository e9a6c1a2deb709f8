// Double-talk damage, measured by a real recognizer: the user says each of the 220 real
// alphanumeric clips (../shared/audio) while the assistant speaks over a simulated loudspeaker
// (test/support/room.ts), and Moonshine's SpellingCNN (../shared/models, letters + digits) reads
// each second of audio through the project's own moonshine-micro Mel front-end: the clip alone
// (clean), the microphone (clip + echo, what the server hears with the canceller off), and the
// canceller's output (what goes on to the VAD, the Mel and the models). Top-1 accuracy of each.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { melPreset, spellingModelInput } from '../../server/audio/mel/index.js';
import { simulateEcho } from '../../test/support/echo-sim.js';
import { alphanumericDir, loadAlphanumericClips, moonshineDir, sharedAssetsPresent, type LabelledClip } from '../../test/fixtures/mel/load.js';
import { atLevel, echoGainFor, type RoomParams } from '../../test/support/room.js';

const MODEL = 'spelling_cnn_letters_digits_mel.shrunk.onnx';
const META = 'spelling_cnn_letters_digits_meta.json';
/** The assistant speaks alone this long first (the filter converges), then a clip every PERIOD_MS. */
const LEAD_MS = 6000;
const PERIOD_MS = 3000;
const CLIPS_PER_RUN = 11;

export interface DoubleTalkRow {
  room: string;
  echoDb: number;
  clips: number;
  cleanPct: number;
  microphonePct: number;
  cancelledPct: number;
}

export function doubleTalkAssetsPresent(): boolean {
  return sharedAssetsPresent(path.join(moonshineDir, MODEL), alphanumericDir);
}

/** The assistant's speech repeated (with 300 ms between) to `samples` long. */
function tile(speech: Float32Array, samples: number): Float32Array {
  const out = new Float32Array(samples);
  const step = speech.length + 4800;
  for (let at = 0; at < samples; at += step) out.set(speech.subarray(0, Math.min(speech.length, samples - at)), at);
  return out;
}

export async function runDoubleTalkBench(assistant: Float32Array, room: RoomParams, echoDbs: number[], userDbfs: number): Promise<DoubleTalkRow[]> {
  const meta = JSON.parse(readFileSync(path.join(moonshineDir, META), 'utf8')) as { classes: string[]; n_mels: number; target_frames: number; input_name: string; output_name: string };
  const session = await ort.InferenceSession.create(path.join(moonshineDir, MODEL));
  const options = melPreset('moonshine-micro');
  const clips = loadAlphanumericClips().map((c): LabelledClip => ({ ...c, samples: atLevel(c.samples, userDbfs) }));
  const accuracy = async (inputs: Float32Array[], labels: string[]): Promise<number> => {
    const plane = meta.n_mels * meta.target_frames;
    const batch = new Float32Array(inputs.length * plane);
    inputs.forEach((x, i) => batch.set(spellingModelInput(x, options, meta.target_frames), i * plane));
    const out = (await session.run({ [meta.input_name]: new ort.Tensor('float32', batch, [inputs.length, 1, meta.n_mels, meta.target_frames]) }))[meta.output_name]!;
    const logits = out.data as Float32Array;
    const k = meta.classes.length;
    let correct = 0;
    labels.forEach((label, i) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[i * k + c]! > logits[i * k + best]!) best = c;
      if (meta.classes[best] === label) correct++;
    });
    return +((100 * correct) / labels.length).toFixed(1);
  };
  const rows: DoubleTalkRow[] = [];
  for (const echoDb of echoDbs) {
    const mic: Float32Array[] = [];
    const cancelled: Float32Array[] = [];
    for (let first = 0; first < clips.length; first += CLIPS_PER_RUN) {
      const batch = clips.slice(first, first + CLIPS_PER_RUN);
      const durationMs = LEAD_MS + batch.length * PERIOD_MS;
      const user = new Float32Array(Math.round(durationMs * 16));
      batch.forEach((c, i) => user.set(c.samples.subarray(0, 16000), Math.round((LEAD_MS + i * PERIOD_MS) * 16)));
      const speaker = tile(assistant, user.length);
      const r = await simulateEcho({ assistant: speaker, room, echoGain: echoGainFor(assistant, room, 10 ** (userDbfs / 20), echoDb), networkMs: 30, user, userAtMs: 0, durationMs });
      batch.forEach((_, i) => {
        const at = Math.round((LEAD_MS + i * PERIOD_MS) * 16);
        mic.push(r.mic.slice(at, at + 16000));
        cancelled.push(r.output.slice(at, at + 16000));
      });
      r.canceller.close();
    }
    const labels = clips.map((c) => c.label);
    rows.push({
      room: room.name,
      echoDb,
      clips: clips.length,
      cleanPct: await accuracy(clips.map((c) => c.samples), labels),
      microphonePct: await accuracy(mic, labels),
      cancelledPct: await accuracy(cancelled, labels),
    });
  }
  await session.release();
  return rows;
}

// Part of bench:echo: clocks. The client's clock against the server's (one device: its playback
// and capture share that clock, so the echo keeps its place in microphone samples while the
// client's chunks arrive that much faster or slower), and two devices (a loudspeaker and a
// microphone on different clocks: the echo's delay itself drifts). A 20 s first answer, then 3 s
// in which the server sends nothing, then a second answer placed by the server's clock. Echo at
// 0 dB re a -26 dBFS user. ERLE (dB) over the first answer's second half, the second answer's first
// 2 s and the rest of it; turns the echo alone started, and the pauses it drew (tentative onsets);
// a barge-in 12 s into the first answer (the drift measured by then) and 3 s into the second,
// onset delta vs no echo (ms).
import type { SileroModel } from '../../server/audio/vad/silero.js';
import { erleDb, onsetsThroughFrontEnd } from '../../test/support/echo-sim.js';
import { bargeInDeltas, type OnsetDelta } from './barge-in-onset.js';
import { ROOMS, echoGainFor } from '../../test/support/room.js';
import { concat, silence } from '../../test/support/speech.js';

const GAP_MS = 3000;
/** When the barge-ins start: into the first answer, and into the second (ms). */
const BARGE_IN_FIRST_MS = 12000;
const BARGE_IN_SECOND_MS = 3000;
/** [label, client clock ppm (one device), echo path drift ppm (two devices)]. */
const CLOCKS: [string, number, number][] = [
  ['same clock', 0, 0],
  ['client +100 ppm', 100, 0],
  ['client -100 ppm', -100, 0],
  ['client +300 ppm', 300, 0],
  ['client -300 ppm', -300, 0],
  ['client +1000 ppm', 1000, 0],
  ['two devices 20 ppm', 0, 20],
  ['two devices 100 ppm', 0, 100],
  ['two devices 300 ppm', 0, 300],
  ['two devices -100 ppm', 0, -100],
  ['two devices -300 ppm', 0, -300],
];

export interface ClockRow {
  room: string;
  clock: string;
  firstAnswerErleDb: number;
  secondAnswerFirst2sErleDb: number;
  secondAnswerRestErleDb: number;
  turnsStarted: number;
  /** Tentative onsets the echo alone drew (the answer paused, then resumed, or a turn began). */
  pauses: number;
  bargeInFirst: OnsetDelta;
  bargeInSecond: OnsetDelta;
}

export async function runClockBench(silero: SileroModel, first: Float32Array, second: Float32Array, user: Float32Array, userDbfs: number): Promise<ClockRow[]> {
  const bargeIn = bargeInDeltas(silero, user);
  const both = concat(first, silence(GAP_MS), second);
  const firstEnd = first.length - (first.length % 320);
  const secondStart = Math.round(((first.length / 16 + GAP_MS) * 16) / 320) * 320;
  const rows: ClockRow[] = [];
  for (const room of [ROOMS[0]!, ROOMS[1]!]) {
    for (const [clock, clientClockPpm, driftPpm] of CLOCKS) {
      const sim = { assistant: both, room, echoGain: echoGainFor(both, room, 10 ** (userDbfs / 20), 0), networkMs: 30, clientClockPpm, speakerDriftPpm: driftPpm, unsent: { fromMs: first.length / 16 + 100, toMs: first.length / 16 + GAP_MS } };
      const r = await onsetsThroughFrontEnd(silero, sim, { gate: true });
      const end = Math.min(r.output.length - 1600, secondStart + second.length);
      const round1 = (x: number) => +x.toFixed(1);
      rows.push({
        room: room.name,
        clock,
        firstAnswerErleDb: round1(erleDb(r.mic, r.output, r.echo, Math.floor(firstEnd / 640) * 320, firstEnd)),
        secondAnswerFirst2sErleDb: round1(erleDb(r.mic, r.output, r.echo, secondStart, secondStart + 32000)),
        secondAnswerRestErleDb: round1(erleDb(r.mic, r.output, r.echo, secondStart + 32000, end)),
        turnsStarted: r.onsets.length,
        pauses: r.tentative.length,
        bargeInFirst: await bargeIn(sim, BARGE_IN_FIRST_MS),
        bargeInSecond: await bargeIn(sim, secondStart / 16 + BARGE_IN_SECOND_MS),
      });
    }
  }
  return rows;
}

// The assistant must not hear itself: a client plays the spoken answer (real espeak-ng) through
// a simulated room into its microphone in real time (test/support/loopback.ts), through the
// real socket, real Silero VAD, real scheduler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { speak } from '../support/espeak.js';
import { atLevel } from '../support/room.js';
import { ask, close, open, skip, types, USER_DBFS } from '../support/echo-session.js';

test('an answer played back into the microphone at 0 dB completes with no speech_started or pause', { skip }, async () => {
  const s = await open(0);
  try {
    await new Promise((r) => setTimeout(r, 500)); // the microphone runs before the answer, as in a real session
    ask(s.client);
    const done = await s.client.waitFor('response.done', () => true, 40000);
    await new Promise((r) => setTimeout(r, 700)); // the echo of the last sent audio has played out
    assert.equal((done.response as { status: string }).status, 'completed');
    assert.deepEqual(types(s.client.events, 'input_audio_buffer.speech_started'), [], 'the assistant heard itself');
    assert.deepEqual(types(s.client.events, 'duet.monitor.state'), [], 'no segment reached the monitor');
    // A frame of echo the gate lets through may hold the answer at its first frame (a tentative
    // duck, or a pause in the answer's first duckAfterMs): it must come to nothing (a blip) and end
    // at once. A pause ends before the client's buffer runs dry (nothing heard); a duck lowers at
    // most a frame or two of the answer (a dip, never a stop).
    const held = s.client.events.filter((e) => e.type === 'duet.response.paused' || e.type === 'duet.response.ducked');
    assert.ok(held.every((e) => e.tentative === true), 'no firm pause or duck');
    const resumed = types(s.client.events, 'duet.response.resumed');
    assert.equal(resumed.length, held.length);
    for (const r of resumed) {
      assert.equal(r.reason, 'blip');
      assert.ok((r.buffered_audio_ms as number) > 0, `inaudible: ${String(r.buffered_audio_ms)} ms still buffered at the resume`);
    }
    for (const duck of held.filter((e) => e.type === 'duet.response.ducked')) {
      const from = s.client.events.indexOf(duck);
      const end = s.client.events.findIndex((e, i) => i > from && e.type === 'duet.response.resumed');
      const lowered = s.client.events.slice(from, end).filter((e) => e.type === 'response.output_audio.delta').length;
      // 100 ms frames: a blip is the VAD's off threshold for under its minimum speech (250 ms).
      assert.ok(lowered <= 4, `${lowered} frames lowered by an echo blip`);
    }
    assert.ok(s.loopback.receivedSamples > 8 * 16000, `the answer was played (${s.loopback.receivedSamples / 16} ms)`);
    assert.ok((await s.server.metrics.registry.getSingleMetricAsString('duet_echo_suppressed_onsets_total')).match(/total \d+/), 'the counter is exported');
    assert.deepEqual(s.client.violations, []);
    const ready = (await (await fetch(`${s.server.url}/readyz`)).json()) as { capabilities: Record<string, { available: boolean; backend?: string }> };
    assert.equal(ready.capabilities.echo_canceller?.available, true, '/readyz says the canceller is there');
    assert.match(ready.capabilities.echo_canceller?.backend ?? '', /libspeexdsp/);
  } finally {
    await close(s);
  }
});

test('a client whose clock runs 1000 ppm fast against the server keeps the canceller converged over the answer', { skip }, async () => {
  // Its playback and capture share that clock, so its echo stays put in its microphone samples;
  // a canceller that followed its arrivals mid-answer measured a mean ERLE of 3.9 dB here (26.9
  // on the server's clock).
  const s = await open(0, {}, {}, 1000);
  try {
    await new Promise((r) => setTimeout(r, 500));
    ask(s.client);
    const done = await s.client.waitFor('response.done', () => true, 40000);
    await new Promise((r) => setTimeout(r, 700));
    // What cut the answer short, if anything (a CI run once counted 2 windows: the answer had ended 4 s in).
    const ended = `response ${(done.response as { status: string }).status}, ${s.loopback.receivedSamples / 16} ms played, speech_started ${types(s.client.events, 'input_audio_buffer.speech_started').length}`;
    assert.equal((done.response as { status: string }).status, 'completed', ended);
    const text = await s.server.metrics.registry.getSingleMetricAsString('duet_echo_erle_db');
    const sum = Number(/duet_echo_erle_db_sum (\S+)/.exec(text)?.[1]);
    const count = Number(/duet_echo_erle_db_count (\S+)/.exec(text)?.[1]);
    assert.ok(count >= 5, `${count} one-second windows of echo alone (${ended})`);
    assert.ok(sum / count >= 20, `mean ERLE ${(sum / count).toFixed(1)} dB`);
    assert.deepEqual(types(s.client.events, 'input_audio_buffer.speech_started'), []);
  } finally {
    await close(s);
  }
});

test('a spoken barge-in over the echo (6 dB below the user) is still honoured: the answer paused at once (tentatively), then speech_started', { skip }, async () => {
  // At 0 dB bench:echo interrupts 3 of 3 (5 of 5 in a second answer) on a quiet machine, but with
  // another real-time test on the other core it missed in 3 of 6 runs: too close to the edge for a test.
  const s = await open(-6);
  try {
    await new Promise((r) => setTimeout(r, 500));
    ask(s.client);
    await s.client.waitFor('response.output_audio.delta', () => true, 20000);
    await new Promise((r) => setTimeout(r, 5000));
    assert.deepEqual(types(s.client.events, 'input_audio_buffer.speech_started'), [], 'no onset from the echo before the user speaks');
    const from = s.client.events.length;
    s.loopback.say(atLevel(speak('Wait, stop please. I have a question about the river.', 'en-gb+f3')!, USER_DBFS));
    const started = await s.client.waitFor('input_audio_buffer.speech_started', () => true, 6000, from);
    const paused = await s.client.waitFor('duet.response.paused', () => true, 6000, from);
    const done = s.client.events.findIndex((e) => e.type === 'response.done');
    assert.ok(done < 0 || done > s.client.events.indexOf(paused), 'paused while the answer was still speaking');
    // The answer pauses at the first speech frames (tentative), before the VAD confirms the speech.
    assert.equal(paused.tentative, true);
    assert.ok(s.client.events.indexOf(paused) < s.client.events.indexOf(started));
    assert.equal(types(s.client.events.slice(from), 'duet.response.ducked').length, 0, 'no duck by default');
  } finally {
    await close(s);
  }
});

test('with duet.echo_cancellation false the session behaves as before: its echo starts speech', { skip }, async () => {
  const s = await open(0, { duet: { echo_cancellation: false } });
  try {
    const updated = types(s.client.events, 'session.updated').at(-1)!;
    assert.equal((updated.session as { duet: { echo_cancellation: boolean } }).duet.echo_cancellation, false);
    const created = types(s.client.events, 'session.created')[0]!;
    assert.equal((created.session as { duet: { echo_cancellation: boolean } }).duet.echo_cancellation, true, 'on by default');
    s.client.send({ type: 'session.update', event_id: 'bad', session: { duet: { echo_cancellation: 'off' } } });
    assert.equal(((await s.client.errorFor('bad')).error as { code: string }).code, 'invalid_value');
    ask(s.client);
    await s.client.waitFor('input_audio_buffer.speech_started', () => true, 15000);
  } finally {
    await close(s);
  }
});

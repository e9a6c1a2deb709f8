import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioPacer } from '../../server/voice/pacer.js';
import { ManualClock, settle } from '../../server/voice/clock.js';

interface Frame {
  n: number;
  durationMs: number;
}

/** A source whose frames the test releases (a slow synthesizer), or all ready at once. */
class FrameSource implements AsyncIterable<Frame> {
  private readonly ready: Frame[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  cancelled = false;

  add(...frames: Frame[]): void {
    this.ready.push(...frames);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Frame> {
    for (;;) {
      if (this.cancelled) return;
      const frame = this.ready.shift();
      if (frame) {
        yield frame;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

function frames(count: number, durationMs: number): Frame[] {
  return Array.from({ length: count }, (_, n) => ({ n, durationMs }));
}

function setup(leadMs: number) {
  const clock = new ManualClock();
  const source = new FrameSource();
  const sent: { n: number; at: number; aheadMs: number }[] = [];
  const pacer: AudioPacer<Frame> = new AudioPacer(source, {
    leadMs,
    clock,
    send: (frame) => sent.push({ n: frame.n, at: clock.now(), aheadMs: pacer.sentMs + frame.durationMs - pacer.playedMs }),
    onCancel: () => {
      source.cancelled = true;
      source.end();
    },
  });
  return { clock, source, sent, pacer, done: pacer.run() };
}

test('the lead over the listener never exceeds leadMs, and the buffer is kept full', async () => {
  const { clock, source, sent, pacer, done } = setup(300);
  source.add(...frames(60, 40)); // 2.4 s of audio, all synthesized at once
  source.end();
  await settle();
  assert.equal(sent.length, 7, 'starts with leadMs of audio, not the whole answer'); // 7 x 40 = 280 <= 300
  const steps = [7, 13, 1, 29, 40, 3, 17, 50, 11];
  for (let k = 0; clock.now() < 3000; k++) {
    await clock.advance(steps[k % steps.length]);
    const t = clock.now();
    assert.ok(pacer.sentMs - pacer.playedMs <= 300, `lead ${pacer.sentMs - pacer.playedMs} ms at ${t}`);
    assert.ok(pacer.sentMs >= Math.min(2400, t + 300 - 40), `starved at ${t}: sent ${pacer.sentMs}`);
  }
  for (const s of sent) assert.ok(s.aheadMs <= 300, `frame ${s.n} sent ${s.aheadMs} ms ahead`);
  assert.deepEqual(sent.map((s) => s.n), frames(60, 40).map((f) => f.n), 'every frame once, in order');
  assert.equal(await done, 'completed');
});

test('pause stops sending, resume continues with the next frame exactly', async () => {
  const { clock, source, sent, pacer, done } = setup(200);
  source.add(...frames(30, 50));
  source.end();
  await clock.advance(500);
  const before = sent.length;
  pacer.pause();
  await clock.advance(1000);
  assert.equal(sent.length, before, 'nothing sent while paused');
  assert.equal(pacer.playedMs, pacer.sentMs, 'the client played out what it had');
  pacer.resume();
  await settle();
  assert.equal(sent.length, before + 4, 'refills the lead at once (4 x 50 ms)');
  await clock.advance(5000);
  assert.deepEqual(sent.map((s) => s.n), frames(30, 50).map((f) => f.n));
  assert.equal(await done, 'completed');
});

test('cancel drops pending frames, reports stale audio, and nothing is sent afterwards', async () => {
  const { clock, source, sent, pacer, done } = setup(300);
  source.add(...frames(100, 20));
  await clock.advance(1234);
  const report = pacer.cancel();
  const count = sent.length;
  assert.equal(report.playedMs, 1234);
  assert.equal(report.sentMs, count * 20);
  assert.equal(report.staleMs, report.sentMs - report.playedMs);
  assert.ok(report.staleMs > 0 && report.staleMs <= 300, `stale ${report.staleMs}`);
  assert.ok(source.cancelled, 'the source (synthesis) was cancelled');
  source.add(...frames(5, 20));
  await clock.advance(2000);
  assert.equal(sent.length, count, 'no frame after cancel');
  assert.equal(await done, 'cancelled');
  assert.equal(pacer.state, 'cancelled');
});

test('cancel while paused or waiting for synthesis also ends the run', async () => {
  const a = setup(300);
  a.source.add(...frames(3, 100));
  await a.clock.advance(50);
  a.pacer.pause();
  a.pacer.cancel();
  assert.equal(await a.done, 'cancelled');
  const b = setup(300);
  await b.clock.advance(50); // no frame yet: waiting on the source
  assert.equal(b.pacer.state, 'waiting-source');
  assert.deepEqual(b.pacer.cancel(), { staleMs: 0, sentMs: 0, playedMs: 0 });
  assert.equal(await b.done, 'cancelled');
});

test('when synthesis falls behind, playback stalls and the listener model does not run ahead', async () => {
  const { clock, source, pacer } = setup(300);
  source.add(...frames(2, 100));
  await clock.advance(500); // both played by 200 ms; 300 ms of silence
  assert.equal(pacer.playedMs, 200);
  source.add(...frames(1, 100));
  await settle();
  await clock.advance(40);
  assert.equal(pacer.playedMs, 240, 'the new frame plays from when it arrived');
  assert.equal(pacer.cancel().staleMs, 60);
});

test('frames longer than the lead are sent when the client buffer is empty', async () => {
  const { clock, source, sent, done } = setup(100);
  source.add(...frames(3, 250));
  source.end();
  await settle();
  assert.equal(sent.length, 1);
  await clock.advance(249);
  assert.equal(sent.length, 1);
  await clock.advance(1);
  assert.equal(sent.length, 2);
  await clock.advance(250);
  assert.equal(await done, 'completed');
});

test('fractional frame durations never stall the pacer on rounding (simulated clock far from zero)', async () => {
  const { clock, source, sent, done } = setup(300);
  await clock.advance(2900); // large clock values: a 1e-13 ms remainder cannot move them
  const odd = [100, 37.458333333333336, 100, 100, 12.541666666666666, 100, 68.04166666666667, 100];
  const list = Array.from({ length: 80 }, (_, n) => ({ n, durationMs: odd[n % odd.length] }));
  source.add(...list);
  source.end();
  const total = list.reduce((ms, f) => ms + f.durationMs, 0);
  for (let t = 0; t < total + 500; t += 10) await clock.advance(10);
  assert.equal(sent.length, list.length);
  assert.equal(await done, 'completed');
});

test('setLead: a lower lead lets the buffered audio play down without running dry; restoring it refills before the listener runs dry', async () => {
  const { clock, source, sent, pacer, done } = setup(300);
  source.add(...frames(40, 100));
  source.end();
  await clock.advance(1000);
  assert.ok(pacer.sentMs - pacer.playedMs > 200, 'full lead before');
  pacer.setLead(150);
  const lowered = sent.length;
  let minBuffered = Infinity;
  let maxAhead = 0;
  for (let t = 0; t < 1000; t += 10) {
    await clock.advance(10);
    minBuffered = Math.min(minBuffered, pacer.sentMs - pacer.playedMs);
  }
  for (const s of sent.slice(lowered + 1)) maxAhead = Math.max(maxAhead, s.aheadMs);
  assert.ok(maxAhead <= 150 + 1e-6, `at most 150 ms ahead once lowered (${maxAhead})`);
  assert.ok(minBuffered > 0, 'the listener never ran dry while the lead came down');
  pacer.setLead(null);
  const raised = sent.length;
  for (let t = 0; t < 500; t += 10) {
    await clock.advance(10);
    minBuffered = Math.min(minBuffered, pacer.sentMs - pacer.playedMs);
  }
  assert.ok(minBuffered > 0, 'nor while it refilled');
  assert.ok(sent.slice(raised).some((s) => s.aheadMs > 200), 'back to the full lead');
  // A lead above options.leadMs is capped there.
  pacer.setLead(5000);
  await clock.advance(500);
  assert.ok(pacer.sentMs - pacer.playedMs <= 300 + 1e-6);
  pacer.cancel();
  await done;
});

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../support/server.js';
import { chromiumMissing, launchChromium, SocketLog, until, type WireEvent } from './browser.js';
import { espeakAvailable, writeSpeechWav } from './speech-wav.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const baseScript = fileURLToPath(new URL('../fixtures/client/slow-answers.json', import.meta.url));
const screenshot = join(repoRoot, 'test-artifacts', 'browser-final.png');

type PlayerView = { held: boolean; gain: number; scheduled: string[]; receivedMs: Record<string, number> };

// The fake microphone loops its file: the trailing silence keeps the first question from coming back during a test.
// The first answer's audio comes about 1.5 s after the first question (500 ms of silence, its first
// clause at 80 ms a token): the second question starts 3 s after it, so that it lands on audio the
// page is playing even on a loaded machine (with 1.5 s it came first once in a full run here).
const TWO_QUESTIONS = [
  { silenceMs: 1000 },
  { say: 'What is the tallest mountain in the world?' },
  { silenceMs: 3000 },
  { say: 'Wait, tell me about the ocean instead.' },
  { silenceMs: 12000 },
];

/**
 * A server with a scripted chat model and the real espeak voice, and chromium whose microphone
 * speaks `speech` (default: two questions, the second over the first answer).
 */
async function setUp(t: TestContext, decisions: ('<1>' | '<2>' | '<4>')[], speech: Parameters<typeof writeSpeechWav>[1] = TWO_QUESTIONS, config: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'duet-browser-'));
  const wav = join(dir, 'questions.wav');
  writeSpeechWav(wav, speech);
  // Slow tokens and a long first answer, so the second question lands mid-answer.
  const script = join(dir, 'script.json');
  writeFileSync(script, JSON.stringify({ ...JSON.parse(readFileSync(baseScript, 'utf8')), decisions }));
  // The synthesizer at the server's priority: these tests time the page against a spoken answer,
  // and with another test file busy on the same cores a niceness-10 espeak was starved until the
  // second question came before the first answer had played (CI dry run, 2026-12-04).
  const server = await startServer({ models: { chat: { kind: 'scripted', script }, tts: { kind: 'espeak', niceness: 0 } }, ...config });
  const browser = await launchChromium({ fakeAudioFile: wav });
  t.after(async () => {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  const wire = new SocketLog(page);
  await page.goto(`${server.url}/`);
  assert.equal(await page.textContent('#state-label'), 'Press Start to talk');
  return {
    page,
    wire,
    problems,
    player: () => page.evaluate(() => (globalThis as any).duet.player() as PlayerView),
    pageState: () => page.evaluate(() => (globalThis as any).duet.state() as string),
    pageHandled: (type: string) => page.evaluate((ty) => (globalThis as any).duet.events.includes(ty) as boolean, type),
  };
}

/** Samples the page's player every 5 ms from now on: the lowest output gain, and whether playback was ever frozen. */
async function watchPlayer(page: Awaited<ReturnType<typeof setUp>>['page']): Promise<() => Promise<{ minGain: number; held: boolean }>> {
  await page.evaluate(() => {
    const seen = ((globalThis as any).playerWatch = { minGain: 1, held: false });
    setInterval(() => {
      const view = (globalThis as any).duet.player();
      seen.minGain = Math.min(seen.minGain, view.gain);
      seen.held ||= view.held;
    }, 5);
  });
  return async () => (await page.evaluate(() => (globalThis as any).playerWatch)) as { minGain: number; held: boolean };
}

const missing = () => chromiumMissing() ?? (espeakAvailable() ? null : 'espeak-ng not installed (it speaks the test questions)');

/** Start, connect, and wait until the first question is answered aloud; returns the answer's ids. */
async function firstAnswerPlaying({ page, wire, player, pageState }: Awaited<ReturnType<typeof setUp>>) {
  await page.click('#start');

  // Connected: the page asked for 16 kHz input and spoken answers, then streamed binary audio.
  const update = await until('session.update', () => wire.find('sent', 'session.update'));
  assert.deepEqual(update.session.audio.input.format, { type: 'audio/pcm', rate: 16000 });
  assert.deepEqual(update.session.output_modalities, ['audio']);
  await until('listening state', async () => (await pageState()) === 'listening');

  // The first question is detected, judged a query and answered aloud.
  await until('speech_started', () => wire.find('received', 'input_audio_buffer.speech_started'));
  const responseId = (await until('first answer', () => wire.find('received', 'response.created'))).response.id as string;
  const itemId = (await until('first answer item', () => wire.find('received', 'response.output_item.added', (e) => e.response_id === responseId))).item.id as string;
  await until('first answer audio playing', async () => (await player()).scheduled.includes(itemId));
  assert.ok(wire.binaryFramesSent > 20, `microphone frames sent: ${wire.binaryFramesSent}`);
  const monitor = wire.find('received', 'duet.monitor.state');
  assert.equal(monitor?.state, '<1>');
  assert.equal(monitor?.action, 'answer');
  return { responseId, itemId };
}

test('page: a spoken question is answered aloud; a second one interrupts it and playback stops at once', async (t) => {
  if (missing()) return t.skip(missing()!);
  const session = await setUp(t, ['<1>']);
  const { page, wire, player, pageState, pageHandled, problems } = session;
  const { responseId: firstResponse, itemId: firstItem } = await firstAnswerPlaying(session);

  // The second question interrupts it: paused at speech onset, then cleared.
  await until('answer paused', () => wire.find('received', 'duet.response.paused', (e) => e.response_id === firstResponse));
  const clear = await until('output_audio.clear', () => wire.find('received', 'duet.output_audio.clear', (e) => e.response_id === firstResponse), 20000);
  const clearIndex = wire.received.indexOf(clear);
  await until('page handled the clear', () => pageHandled('duet.output_audio.clear'));
  const afterClear = await player();
  assert.ok(!afterClear.scheduled.includes(firstItem), 'no audio of the interrupted answer is scheduled after the clear');
  const receivedMs = afterClear.receivedMs[firstItem]!;
  assert.ok(receivedMs > 0, 'the first answer had audio');

  // It told the server how much was heard: some of the answer, never more than it received.
  const truncate = await until('truncate', () => wire.find('sent', 'conversation.item.truncate'));
  assert.equal(truncate.item_id, firstItem);
  assert.equal(truncate.content_index, 0);
  assert.ok(truncate.audio_end_ms > 0 && truncate.audio_end_ms <= receivedMs, `audio_end_ms ${truncate.audio_end_ms} of ${receivedMs} ms received`);
  const firstTurn = page.locator(`li.turn.assistant[data-item-id="${firstItem}"]`);
  assert.equal(await firstTurn.getAttribute('data-status'), 'interrupted');

  // The second question is answered aloud; the interrupted answer never plays again.
  const second = await until('second answer', () => wire.find('received', 'response.created', (e) => e.response.id !== firstResponse));
  const secondItem = (await until('second answer item', () => wire.find('received', 'response.output_item.added', (e) => e.response_id === second.response.id))).item.id as string;
  await until('second answer audio playing', async () => (await player()).scheduled.includes(secondItem));
  const later = await player();
  assert.ok(!later.scheduled.includes(firstItem));
  assert.equal(later.receivedMs[firstItem], receivedMs, 'no audio of the interrupted answer arrived after the clear');
  const lateDeltas = wire.received.slice(clearIndex).filter((e: WireEvent) => e.type === 'response.output_audio.delta' && e.response_id === firstResponse);
  assert.equal(lateDeltas.length, 0);
  await until('answering state', async () => (await pageState()) === 'answering');
  assert.equal(await page.locator('li.turn.assistant').count(), 2);
  assert.equal(await page.locator('li.turn.user').count(), 2);

  mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.deepEqual(problems, []);

  await t.test('the server accepted the truncate of the interrupted answer', async () => {
    const answer = await until('truncate answer', () =>
      wire.received.find((e) => (e.type === 'conversation.item.truncated' && e.item_id === firstItem) || (e.type === 'error' && e.error.code === 'invalid_truncate')),
    );
    assert.equal(answer.type, 'conversation.item.truncated', JSON.stringify(answer));
    assert.equal(answer.audio_end_ms, truncate.audio_end_ms);
  });
});

test('page: speech judged noise pauses the answer, then it plays on from where it stopped', async (t) => {
  if (missing()) return t.skip(missing()!);
  const session = await setUp(t, ['<1>', '<2>']);
  const { page, wire, player, pageState, pageHandled, problems } = session;
  const { responseId, itemId } = await firstAnswerPlaying(session);

  await until('answer paused', () => wire.find('received', 'duet.response.paused', (e) => e.response_id === responseId));
  await until('page held playback', async () => (await player()).held);
  const noise = await until('noise decision', () => wire.find('received', 'duet.monitor.state', (e) => e.state === '<2>'));
  assert.equal(noise.action, 'resume');
  await until('page handled the resume', () => pageHandled('duet.response.resumed'));
  const resumed = await player();
  assert.equal(resumed.held, false);
  const receivedAtResume = resumed.receivedMs[itemId]!;
  await until('more of the same answer', async () => (await player()).receivedMs[itemId]! > receivedAtResume);
  assert.ok((await player()).scheduled.includes(itemId));
  assert.equal(wire.find('received', 'duet.output_audio.clear'), undefined);
  assert.equal(wire.find('sent', 'conversation.item.truncate'), undefined);
  const noiseTurn = page.locator(`li.turn.user[data-item-id="${noise.item_id}"]`);
  assert.equal(await noiseTurn.getAttribute('data-status'), 'noise');
  assert.match(await noiseTurn.innerText(), /ignored as noise/);
  await until('answering again', async () => (await pageState()) === 'answering');
  assert.equal(await page.locator('li.turn.assistant').count(), 1);
  assert.deepEqual(problems, []);
});

test('page: a transient over a spoken answer (100 ms of a word: a click, a cough) pauses it on the server at once and resumes it as a blip; playback never stops', async (t) => {
  if (missing()) return t.skip(missing()!);
  const transient = [{ silenceMs: 1000 }, { say: 'What is the tallest mountain in the world?' }, { silenceMs: 4000 }, { say: 'Okay then.', fromMs: 150, fragmentMs: 100 }, { silenceMs: 12000 }];
  const session = await setUp(t, ['<1>', '<2>'], transient);
  const { page, wire, player, problems } = session;
  const { responseId, itemId } = await firstAnswerPlaying(session);
  const watched = await watchPlayer(page);
  const paused = await until('answer paused', () => wire.find('received', 'duet.response.paused', (e) => e.response_id === responseId), 20000);
  assert.equal(paused.tentative, true, 'paused at the first speech frames');
  const resumed = await until('resumed', () => wire.find('received', 'duet.response.resumed', (e) => e.response_id === responseId), 5000);
  assert.equal(resumed.reason, 'blip');
  assert.ok((resumed.buffered_audio_ms as number) > 0, `the page still had ${String(resumed.buffered_audio_ms)} ms to play when output resumed`);
  const receivedAtResume = (await player()).receivedMs[itemId]!;
  await until('more of the same answer', async () => (await player()).receivedMs[itemId]! > receivedAtResume);
  const seen = await watched();
  assert.equal(seen.held, false, 'playback never froze');
  assert.ok(seen.minGain > 0.99, `never lowered: gain ${seen.minGain.toFixed(3)}`);
  assert.equal(wire.find('received', 'input_audio_buffer.speech_started', (e) => e.audio_start_ms > 6000), undefined, 'the transient was never announced');
  assert.equal(wire.find('received', 'duet.output_audio.clear'), undefined);
  assert.equal(wire.find('sent', 'conversation.item.truncate'), undefined);
  assert.deepEqual(problems, []);
});

test('page, server with the duck on (scheduler.duckMs 800): a short word over a spoken answer lowers it: playback never stops, and the answer comes back at full level', async (t) => {
  if (missing()) return t.skip(missing()!);
  const backchannel = [{ silenceMs: 1000 }, { say: 'What is the tallest mountain in the world?' }, { silenceMs: 3500 }, { say: 'Okay.' }, { silenceMs: 12000 }];
  const session = await setUp(t, ['<1>', '<2>'], backchannel, { scheduler: { duckMs: 800 } });
  const { page, wire, player, pageHandled, problems } = session;
  const { responseId, itemId } = await firstAnswerPlaying(session);
  const watch = await watchPlayer(page);
  const ducked = await until('answer ducked', () => wire.find('received', 'duet.response.ducked', (e) => e.response_id === responseId), 20000);
  assert.equal(ducked.gain_db, -15);
  await until('full level again', () => wire.find('received', 'duet.response.resumed', (e) => e.response_id === responseId), 20000);
  // A first speech frame may come to nothing (a blip, resumed at once) before the word itself is
  // judged: wait a while for the word's own verdict, then read the last resume.
  await until('the word judged', () => wire.find('received', 'duet.response.resumed', (e) => e.response_id === responseId && e.reason !== 'blip'), 6000).catch(() => undefined);
  const resumed = wire.received.filter((e: WireEvent) => e.type === 'duet.response.resumed' && e.response_id === responseId).at(-1)!;
  await until('page handled the resume', () => pageHandled('duet.response.resumed'));
  const watched = await watch();
  assert.ok(watched.minGain < 0.3, `the page lowered what it had buffered: gain ${watched.minGain.toFixed(3)}`);
  assert.equal(watched.held, false, 'playback never froze');
  assert.ok(['noise', 'backchannel', 'short', 'blip'].includes(resumed.reason as string), String(resumed.reason));
  assert.equal(wire.find('received', 'duet.response.paused', (e) => e.response_id === responseId && e.tentative === false), undefined, 'never paused');
  await until('gain back to 1', async () => (await player()).gain > 0.99);
  const receivedAtResume = (await player()).receivedMs[itemId]!;
  await until('more of the same answer', async () => (await player()).receivedMs[itemId]! > receivedAtResume);
  assert.equal(wire.find('received', 'duet.output_audio.clear'), undefined);
  assert.equal(wire.find('sent', 'conversation.item.truncate'), undefined);
  assert.equal(await page.locator('li.turn.assistant').count(), 1);
  assert.deepEqual(problems, []);
});

test('page: a sentence with a pause in the middle is held ("waiting for the rest"), merged into one turn, and answered once', async (t) => {
  if (missing()) return t.skip(missing()!);
  const halves = [{ silenceMs: 1000 }, { say: 'I would like to know' }, { silenceMs: 900 }, { say: 'how far away the moon is.' }, { silenceMs: 15000 }];
  const { page, wire, pageHandled, problems } = await setUp(t, ['<4>', '<1>'], halves, { turns: { endOfTurn: ['monitor', 'silence'] } });
  await page.click('#start');
  const held = await until('turn held', () => wire.find('received', 'duet.turn.held'));
  await until('page handled the hold', () => pageHandled('duet.turn.held'));
  const heldTurn = page.locator(`li.turn.user[data-item-id="${held.item_id}"]`);
  assert.equal(await heldTurn.getAttribute('data-status'), 'held');
  assert.match(await heldTurn.innerText(), /waiting for the rest/);
  assert.equal(wire.find('received', 'response.created'), undefined, 'no answer to half a sentence');

  const merged = await until('turn merged', () => wire.find('received', 'duet.turn.merged'));
  assert.deepEqual(merged.merged_item_ids, [held.item_id]);
  await until('page handled the merge', () => pageHandled('duet.turn.merged'));
  assert.equal(await page.locator(`li.turn.user[data-item-id="${held.item_id}"]`).count(), 0, 'the first piece is shown in the merged turn');
  const mergedTurn = page.locator(`li.turn.user[data-item-id="${merged.item_id}"]`);
  assert.equal(await mergedTurn.getAttribute('data-status'), 'merged');
  assert.match(await mergedTurn.innerText(), /one turn \(2 pieces\)/);
  assert.equal(await page.locator('li.turn.user').count(), 1);

  await until('the answer', () => wire.find('received', 'response.created'));
  assert.equal(wire.received.filter((e) => e.type === 'response.created').length, 1, 'answered once');
  assert.deepEqual(problems, []);
});

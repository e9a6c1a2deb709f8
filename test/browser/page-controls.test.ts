import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer } from '../support/server.js';
import { TestClient } from '../support/client.js';
import { scriptedModelSet } from '../../models/scripted/index.js';
import type { Script } from '../../models/scripted/script.js';
import { chromiumMissing, launchChromium, SocketLog, until } from './browser.js';

const script = new URL('../fixtures/client/slow-answers.json', import.meta.url).pathname;
const quickScript: Script = { replies: [{ text: 'Typed questions get typed answers.' }], tokenDelayMs: 5, decisions: ['<1>'], rules: [], decisionDelayMs: 5 };

async function openPage(browser: Browser, server: TestServer): Promise<{ page: Page; wire: SocketLog }> {
  const page = await browser.newPage();
  const wire = new SocketLog(page);
  await page.goto(`${server.url}/`);
  return { page, wire };
}

const noticeText = (page: Page) => page.locator('#notices').innerText();
const pageState = (page: Page) => page.evaluate(() => (globalThis as any).duet.state() as string);

test('page: API key entry, busy server, missing models', async (t) => {
  const missing = chromiumMissing();
  if (missing) return t.skip(missing);
  const browser = await launchChromium();
  t.after(() => browser.close());

  await t.test('asks for an API key, says when it is wrong, connects with the right one', async (t) => {
    const server = await startServer({ auth: { apiKeys: ['browser-key-1234'] }, models: { chat: { kind: 'scripted', script }, tts: null } });
    t.after(() => server.stop());
    const { page, wire } = await openPage(browser, server);
    await page.click('#start');
    await page.locator('#key-form').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#key-label'), 'This server needs an API key.');
    await page.fill('#key-input', 'not-the-key');
    await page.click('#key-form button');
    await until('wrong-key message', async () => (await page.textContent('#key-label')) === 'That API key was not accepted. Enter another one.');
    await page.fill('#key-input', 'browser-key-1234');
    await page.click('#key-form button');
    await until('listening', async () => (await pageState(page)) === 'listening');
    assert.ok(wire.find('sent', 'session.update'), 'the session was configured over the authenticated socket');
    assert.equal(await page.locator('#key-form').isVisible(), false);
  });

  await t.test('says the server is busy', async (t) => {
    const server = await startServer({ limits: { maxSessions: 1 }, models: { chat: { kind: 'scripted', script }, tts: null } });
    const occupant = await TestClient.connect(server.wsUrl);
    t.after(async () => {
      occupant.close();
      await server.stop();
    });
    const { page, wire } = await openPage(browser, server);
    await page.click('#start');
    await until('busy notice', async () => (await noticeText(page)).includes('The server is busy'));
    assert.equal(wire.find('received', 'error')?.error.code, 'server_busy');
  });

  await t.test('says the model is being fetched on a first start, and clears it when the model arrives', async (t) => {
    // The server's view while the first start downloads (server/live-model-set.ts shows it the same way).
    const set = scriptedModelSet({ replies: [{ text: 'Hello.' }], tokenDelayMs: 5, decisions: ['<1>'], rules: [], decisionDelayMs: 1 });
    let downloading = true;
    const status = set.status.bind(set);
    set.status = () => (downloading ? { ...status(), generator: { available: false, reason: 'downloading test-org/tiny-llm (fp32): 40% of 2.1 MB' } } : status());
    const server = await startServer({ models: { tts: null } }, { models: set });
    t.after(() => server.stop());
    const { page } = await openPage(browser, server);
    await page.click('#start');
    await until('provisioning notice', async () => (await noticeText(page)).includes('Getting the model ready: downloading test-org/tiny-llm'));
    downloading = false;
    for (const session of server.registry.list()) session.outbound.send({ type: 'duet.capabilities.updated', capabilities: set.status(), provisioning: null });
    await until('notice cleared', async () => !(await noticeText(page)).includes('Getting the model ready'));
    assert.doesNotMatch(await noticeText(page), /Model unavailable/);
  });

  await t.test('says when no chat model or no voice is loaded', async (t) => {
    const server = await startServer({ models: { chat: null, tts: null } });
    t.after(() => server.stop());
    const { page } = await openPage(browser, server);
    await page.click('#start');
    await until('model notice', async () => (await noticeText(page)).includes('Model unavailable: no chat model configured'));
    assert.match(await noticeText(page), /Answers come as text: no speech synthesizer configured/);
  });
});

test('page: a denied microphone is explained and typing still works', async (t) => {
  const missing = chromiumMissing();
  if (missing) return t.skip(missing);
  const browser = await launchChromium({ grantMedia: false });
  const server = await startServer({}, { models: scriptedModelSet(quickScript) });
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const { page, wire } = await openPage(browser, server);
  await page.click('#start');
  await until('mic notice', async () => (await noticeText(page)).includes('Microphone access was denied'));
  await until('connected', async () => (await pageState(page)) === 'listening');
  assert.equal(wire.binaryFramesSent, 0);
  await page.fill('#text-input', 'Can you read this?');
  await page.click('#text-send');
  await until('typed answer', async () => (await page.locator('li.turn.assistant').innerText()).includes('Typed questions get typed answers.'));
  assert.equal(await page.locator('li.turn.user .text').innerText(), 'Can you read this?');
});

test('page: the camera sends JPEG frames when the model can see, and none when it cannot', async (t) => {
  const missing = chromiumMissing();
  if (missing) return t.skip(missing);
  const browser = await launchChromium();
  const seeing = scriptedModelSet(quickScript);
  const statuses = { ...seeing.status(), vision: { available: true, backend: 'scripted (testing only)' } };
  const server = await startServer({}, { models: { ...seeing, vision: true, status: () => statuses } });
  const blindServer = await startServer({}, { models: scriptedModelSet(quickScript) });
  t.after(async () => {
    await browser.close();
    await server.stop();
    await blindServer.stop();
  });

  const { page, wire } = await openPage(browser, server);
  await page.click('#start');
  await until('listening', async () => (await pageState(page)) === 'listening');
  await page.click('#camera');
  await until('three frames', () => wire.sent.filter((e) => e.type === 'duet.input_image.append').length >= 3);
  const frames = wire.sent.filter((e) => e.type === 'duet.input_image.append');
  assert.deepEqual(frames[0], { type: 'duet.input_image.append', binary: true, mime_type: 'image/jpeg' });
  assert.equal(await page.locator('#preview').isVisible(), true);
  await page.click('#camera');
  assert.equal(await page.locator('#preview').isVisible(), false);
  // Every frame was decoded by the server: a bad image would have come back as an error.
  assert.equal(wire.received.filter((e) => e.type === 'error').length, 0, JSON.stringify(wire.received.filter((e) => e.type === 'error')));

  const blind = await openPage(browser, blindServer);
  await blind.page.click('#start');
  await until('listening', async () => (await pageState(blind.page)) === 'listening');
  await blind.page.click('#camera');
  await until('blind notice', async () => (await noticeText(blind.page)).includes('The model cannot see'));
  await blind.page.waitForTimeout(1200);
  assert.equal(blind.wire.sent.filter((e) => e.type === 'duet.input_image.append').length, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../support/server.js';
import { espeakAvailable, writeSpeechWav } from '../browser/speech-wav.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('../fixtures/client/short-answer.json', import.meta.url));
const ANSWER = 'The capital of France is Paris.';
const wav = createRequire(import.meta.url)('node-wav') as { decode(b: Buffer): { sampleRate: number; channelData: Float32Array[] } };

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/client/main.ts', ...args], { cwd: repoRoot, timeout: 90000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const scripted = { models: { chat: { kind: 'scripted', script }, tts: null } };

test('cli: streams a spoken WAV in real time and prints the answer', async (t) => {
  if (!espeakAvailable()) return t.skip('espeak-ng not installed (it speaks the test question)');
  const dir = mkdtempSync(join(tmpdir(), 'duet-cli-'));
  const server = await startServer(scripted);
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const question = join(dir, 'question.wav');
  writeSpeechWav(question, [{ silenceMs: 300 }, { say: 'What is the capital of France?' }, { silenceMs: 300 }]);
  const { code, stdout, stderr } = await runCli(['--url', server.wsUrl, '--wav', question]);
  assert.equal(code, 0, stderr);
  const lines = stdout.split('\n');
  const order = ['[session] answers in text, input audio/pcm 24000 Hz', '[you] speaking', '[you] stopped', '[monitor] <1> query', `assistant: ${ANSWER}`, '[answer] completed'];
  let at = -1;
  for (const expected of order) {
    const found = lines.findIndex((l, i) => i > at && l.startsWith(expected));
    assert.ok(found > at, `"${expected}" after line ${at} in:\n${stdout}`);
    at = found;
  }
});

test('cli: text, raw JSON events, and answer audio saved to a WAV', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-cli-'));
  const server = await startServer({ models: { chat: { kind: 'scripted', script } } });
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const json = await runCli(['--url', server.wsUrl, '--text', 'Capital of France?', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; response?: { status: string } });
  assert.equal(events[0]!.type, 'session.created');
  const responseEvents = events.filter((e) => e.type.startsWith('response.'));
  assert.equal(responseEvents.at(-1)!.type, 'response.done');
  assert.equal(responseEvents.at(-1)!.response!.status, 'completed');

  const out = join(dir, 'answer.wav');
  const spoken = await runCli(['--url', server.wsUrl, '--text', 'Capital of France?', '--out', out]);
  assert.equal(spoken.code, 0, spoken.stderr);
  assert.match(spoken.stdout, /\[session\] answers in audio/);
  assert.match(spoken.stdout, new RegExp(`assistant: ${ANSWER}`));
  const decoded = wav.decode(readFileSync(out));
  assert.equal(decoded.sampleRate, 24000);
  const seconds = decoded.channelData[0]!.length / 24000;
  assert.ok(seconds > 0.8, `${seconds} s of answer audio`);
  assert.ok(decoded.channelData[0]!.some((v) => Math.abs(v) > 0.05), 'the answer audio is not silent');
});

test('cli: exit codes say what went wrong', async (t) => {
  const guarded = await startServer({ ...scripted, auth: { apiKeys: ['the-right-key-1'] } });
  const modelless = await startServer({ models: { chat: null, tts: null } });
  t.after(async () => {
    await guarded.stop();
    await modelless.stop();
  });

  const badKey = await runCli(['--url', guarded.wsUrl, '--key', 'a-wrong-key-1', '--text', 'hi']);
  assert.equal(badKey.code, 2);
  assert.match(badKey.stderr, /HTTP 401 \(missing or wrong API key/);
  const goodKey = await runCli(['--url', guarded.wsUrl, '--key', 'the-right-key-1', '--text', 'hi']);
  assert.equal(goodKey.code, 0, goodKey.stderr);
  assert.match(goodKey.stdout, new RegExp(ANSWER));

  const noModel = await runCli(['--url', modelless.wsUrl, '--text', 'hi']);
  assert.equal(noModel.code, 1);
  assert.match(noModel.stderr, /\[error\] model_unavailable/);

  const refused = await runCli(['--url', 'ws://127.0.0.1:1/v1/realtime', '--text', 'hi']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /cannot connect/);

  const usage = await runCli(['--url', guarded.wsUrl]);
  assert.equal(usage.code, 64);
  assert.match(usage.stderr, /nothing to send/);
});

test('cli: speech the monitor calls noise (a cough, an "mm-hm") does not stop the answer it prints; a question does', async (t) => {
  if (!espeakAvailable()) return t.skip('espeak-ng not installed (it speaks the test audio)');
  const dir = mkdtempSync(join(tmpdir(), 'duet-cli-'));
  // A slow first answer, so both later utterances land while it is going; the monitor's verdicts are scripted.
  const long = 'Paris is the capital of France and its largest city, on the river Seine, with a long history of art, science and trade that goes back more than two thousand years.';
  const slow = join(dir, 'script.json');
  writeFileSync(slow, JSON.stringify({ replies: [{ text: long }, { text: 'Berlin.' }], tokenDelayMs: 250, decisions: ['<1>', '<2>', '<1>'] }));
  const server = await startServer({ models: { chat: { kind: 'scripted', script: slow }, tts: null } });
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const audio = join(dir, 'talk.wav');
  writeSpeechWav(audio, [{ silenceMs: 300 }, { say: 'What is the capital of France?' }, { silenceMs: 1500 }, { say: 'Mm hm, okay.' }, { silenceMs: 2500 }, { say: 'And the capital of Germany?' }, { silenceMs: 1500 }]);
  const { code, stdout, stderr } = await runCli(['--url', server.wsUrl, '--wav', audio]);
  assert.equal(code, 0, stderr);
  const lines = stdout.split('\n');
  // The answer goes on: resumed on the monitor's early word (at the speech's first short pause) or at its verdict.
  const noise = lines.findIndex((l) => l.startsWith('[monitor] <2> noise'));
  const resumed = lines.findIndex((l) => l.startsWith('[answer] resumed (noise)'));
  const question = lines.findIndex((l, i) => i > noise && l.startsWith('[monitor] <1> query') && l.endsWith('-> interrupt'));
  const interrupted = lines.findIndex((l) => l.startsWith('[answer] interrupted'));
  assert.ok(noise >= 0 && resumed >= 0, `the noise resumed the answer:\n${stdout}`);
  assert.ok(question > Math.max(noise, resumed) && interrupted > question, `only the question interrupted it:\n${stdout}`);
  assert.ok(lines.some((l, i) => i > interrupted && l.includes('Berlin.')), `the question was answered:\n${stdout}`);
});

test('cli: a turn held mid-sentence (the monitor says <4> incomplete) and merged with its second half is printed as one turn, then answered once', async (t) => {
  if (!espeakAvailable()) return t.skip('espeak-ng not installed (it speaks the test audio)');
  const dir = mkdtempSync(join(tmpdir(), 'duet-cli-'));
  const halves = join(dir, 'script.json');
  writeFileSync(halves, JSON.stringify({ replies: [{ text: 'About 384,000 kilometres.' }], tokenDelayMs: 5, decisions: ['<4>', '<1>'] }));
  const server = await startServer({ models: { chat: { kind: 'scripted', script: halves }, tts: null }, turns: { endOfTurn: ['monitor', 'silence'] } });
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const audio = join(dir, 'halves.wav');
  writeSpeechWav(audio, [{ silenceMs: 300 }, { say: 'I would like to know' }, { silenceMs: 900 }, { say: 'how far away the moon is.' }, { silenceMs: 1500 }]);
  const { code, stdout, stderr } = await runCli(['--url', server.wsUrl, '--wav', audio]);
  assert.equal(code, 0, stderr);
  const lines = stdout.split('\n');
  const order = ['[monitor] <4> incomplete', '[you] paused mid-turn? waiting up to', '[you] one turn', '[monitor] <1> query', 'assistant: About 384,000 kilometres.'];
  let at = -1;
  for (const expected of order) {
    const found = lines.findIndex((l, i) => i > at && l.startsWith(expected));
    assert.ok(found > at, `"${expected}" after line ${at} in:\n${stdout}`);
    at = found;
  }
  assert.equal(lines.filter((l) => l.startsWith('assistant:')).length, 1, `one answer:\n${stdout}`);
});

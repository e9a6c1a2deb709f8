import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { newChunkState, readChatChunk } from '../../models/remote/chat-chunks.js';
import { parseRetryAfter } from '../../models/remote/engine-client.js';
import { engineErrorMessage, REMOTE_ERROR_CODES, type RemoteErrorCode } from '../../models/remote/errors.js';
import { imageDataUrl, NOTE_IMAGE_WITHOUT_VISION, toWireMessages } from '../../models/remote/messages.js';
import { Semaphore } from '../../models/remote/semaphore.js';
import { SseParser } from '../../models/remote/sse.js';
import { argmaxState, LeadingTokenStripper, matchStateToken, stateDistribution } from '../../models/remote/state-tokens.js';
import { encodeWav16, Pcm16StreamDecoder } from '../../models/remote/wav.js';

describe('SseParser', () => {
  const stream = 'data: {"a":1}\n\n: keep-alive\n\nevent: error\ndata: {"b":\ndata: 2}\n\ndata: [DONE]\n\n';
  const expected = ['{"a":1}', '{"b":\n2}', '[DONE]'];

  test('the same events whatever the chunk boundaries', () => {
    for (let size = 1; size <= stream.length; size++) {
      const parser = new SseParser();
      const got: string[] = [];
      const names: (string | null)[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const n = parser.feed(stream.slice(i, i + size));
        for (let k = 0; k < n; k++) {
          got.push(parser.data[k]!);
          names.push(parser.events[k]!);
        }
      }
      assert.deepEqual(got, expected, `chunk size ${size}`);
      assert.deepEqual(names, [null, 'error', null]);
      assert.equal(parser.pending, '');
    }
  });

  test('CRLF line endings and "data:" without a space', () => {
    const parser = new SseParser();
    assert.equal(parser.feed('data:{"x":1}\r\n\r\ndata: y\r\n'), 1);
    assert.deepEqual(parser.data, ['{"x":1}']);
    assert.equal(parser.feed('\r\n'), 1);
    assert.deepEqual(parser.data, ['y']);
  });
});

describe('readChatChunk', () => {
  const fail = (code: RemoteErrorCode, message: string): never => {
    throw Object.assign(new Error(message), { code });
  };
  const read = (payload: string) => {
    const state = newChunkState();
    readChatChunk(payload, state, fail);
    return state;
  };

  test('content, role chunk, finish reason, usage chunk', () => {
    assert.equal(read('{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}').text, 'Hi');
    assert.equal(read('{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}').text, null);
    assert.equal(read('{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}').finishReason, 'length');
    const usage = read('{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}');
    assert.equal(usage.completionTokens, 9);
    assert.equal(usage.promptTokens, 5);
    assert.equal(read('{"choices":[{"index":0,"delta":{"reasoning_content":"hmm","content":null}}]}').text, null);
  });

  test('errors and malformed chunks', () => {
    const codeOf = (payload: string) => {
      try {
        read(payload);
        return 'none';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    assert.equal(codeOf('{"error":{"message":"boom","type":"InternalServerError","code":500}}'), 'engine_error');
    assert.equal(codeOf('{"object":"error","message":"boom","code":500}'), 'engine_error');
    assert.equal(codeOf('{"choices":[{"delta"'), 'engine_protocol_error');
    assert.equal(codeOf('[1,2]'), 'engine_protocol_error');
    assert.equal(codeOf('{"id":"x"}'), 'engine_protocol_error');
    assert.equal(codeOf('{"choices":[{"index":0}]}'), 'engine_protocol_error');
    assert.equal(codeOf('{"choices":[{"index":0,"delta":{"content":5}}]}'), 'engine_protocol_error');
  });
});

describe('state tokens', () => {
  test('softmax restricted to the state tokens', () => {
    const p = stateDistribution(
      [
        { token: '1', logprob: Math.log(0.5) },
        { token: '2', logprob: Math.log(0.3) },
        { token: '3', logprob: Math.log(0.1) },
        { token: 'Hello', logprob: Math.log(0.1) },
      ],
      ['1', '2', '3'],
    )!;
    assert.ok(Math.abs(p.query - 0.5 / 0.9) < 1e-12);
    assert.ok(Math.abs(p.noise - 0.3 / 0.9) < 1e-12);
    assert.ok(Math.abs(p.query + p.noise + p.text - 1) < 1e-12);
    assert.equal(argmaxState(p), 'query');
  });

  test('missing tokens get a bound, never more than the lowest listed value', () => {
    // Listing covers 0.999 of the mass: the two missing tokens share at most 0.001.
    const p = stateDistribution([{ token: '2', logprob: Math.log(0.9) }, { token: 'a', logprob: Math.log(0.099) }], ['1', '2', '3'])!;
    assert.ok(Math.abs(p.noise - 0.9 / (0.9 + 0.001)) < 1e-9);
    assert.ok(Math.abs(p.query - p.text) < 1e-15);
    // One listed entry only: the bound is the remaining mass.
    const q = stateDistribution([{ token: '1', logprob: -0.01 }], ['1', '2', '3'])!;
    assert.ok(q.query > 0.99);
    // vLLM reports -inf as -9999: still a valid, finite distribution.
    const r = stateDistribution([{ token: '3', logprob: 0 }, { token: '1', logprob: -9999 }], ['1', '2', '3'])!;
    assert.equal(argmaxState(r), 'text');
    assert.ok(Number.isFinite(r.query) && r.query >= 0);
  });

  test('no state token listed: no information', () => {
    assert.equal(stateDistribution([{ token: 'The', logprob: -0.1 }], ['1', '2', '3']), null);
  });

  test('ties go to query, then noise', () => {
    assert.equal(argmaxState({ query: 1 / 3, noise: 1 / 3, text: 1 / 3 }), 'query');
    assert.equal(argmaxState({ query: 0.2, noise: 0.4, text: 0.4 }), 'noise');
  });

  test('matchStateToken normalizes token text', () => {
    assert.equal(matchStateToken(' 2', ['1', '2', '3']), 'noise');
    assert.equal(matchStateToken('\u2581<3>', ['<1>', '<2>', '<3>']), 'text');
    assert.equal(matchStateToken('12', ['1', '2', '3']), 'query');
    assert.equal(matchStateToken('yes', ['1', '2', '3']), null);
  });

  test('LeadingTokenStripper holds only possible prefixes', () => {
    const s = new LeadingTokenStripper(['<1>', '<2>', '<3>']);
    assert.equal(s.push('<'), '');
    assert.equal(s.push('1'), '');
    assert.equal(s.push('> '), '');
    assert.equal(s.push(' Hello'), 'Hello');
    assert.equal(s.push(' world'), ' world');
    const t = new LeadingTokenStripper(['<1>', '<2>', '<3>']);
    assert.equal(t.push('<'), '');
    assert.equal(t.push('b>bold'), '<b>bold');
    const u = new LeadingTokenStripper(['<1>']);
    assert.equal(u.push('<'), '');
    assert.equal(u.flush(), '<');
  });
});

describe('Semaphore', () => {
  test('grants in order, passes slots on, drops aborted waiters', async () => {
    const sem = new Semaphore(1);
    const r1 = await sem.acquire();
    const order: string[] = [];
    const aborted = new AbortController();
    const p2 = sem.acquire().then((r) => (order.push('2'), r));
    const p3 = sem.acquire(aborted.signal).then(
      () => order.push('3'),
      () => order.push('3-aborted'),
    );
    const p4 = sem.acquire().then((r) => (order.push('4'), r));
    assert.equal(sem.waiting, 3);
    aborted.abort();
    await p3;
    r1();
    r1(); // idempotent
    const r2 = await p2;
    assert.equal(sem.inUse, 1);
    r2();
    (await p4)();
    assert.deepEqual(order, ['3-aborted', '2', '4']);
    assert.equal(sem.inUse, 0);
    assert.equal(sem.waiting, 0);
  });
});

describe('audio helpers', () => {
  test('WAV round trip through the streaming decoder, split at every byte', () => {
    const samples = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 0.9);
    const wav = encodeWav16(samples, 16000);
    for (const size of [1, 3, 7, 44, 45, 1000]) {
      const dec = new Pcm16StreamDecoder(24000);
      const out: number[] = [];
      for (let i = 0; i < wav.length; i += size) out.push(...dec.push(wav.subarray(i, i + size)));
      assert.equal(dec.sampleRate, 16000, `size ${size}`);
      assert.equal(out.length, 50);
      for (let i = 0; i < 50; i++) assert.ok(Math.abs(out[i]! - samples[i]!) < 1 / 16000, `sample ${i} size ${size}`);
    }
  });

  test('an unsupported WAV format is refused', () => {
    const wav = encodeWav16(new Float32Array(4), 16000);
    wav.writeUInt16LE(2, 22); // stereo
    assert.throws(() => new Pcm16StreamDecoder(24000).push(wav), /unsupported WAV/);
  });
});

describe('messages', () => {
  test('images need vision; the data URL is cached per image', () => {
    const image = { mimeType: 'image/jpeg' as const, bytes: new Uint8Array([255, 216, 255]), width: 1, height: 1 };
    const msg = { role: 'user' as const, content: [{ type: 'image' as const, image }] };
    assert.deepEqual(toWireMessages([msg], { vision: false }), [{ role: 'user', content: NOTE_IMAGE_WITHOUT_VISION }]);
    assert.equal(imageDataUrl(image), 'data:image/jpeg;base64,/9j/');
    assert.equal(imageDataUrl(image), imageDataUrl(image));
    const both = toWireMessages([msg, msg], { vision: true, images: 'last' });
    assert.equal(both[0]!.content, '');
    assert.equal((both[1]!.content as { type: string }[])[0]!.type, 'image_url');
  });
});

describe('errors', () => {
  test('engine error bodies of every shape give their message', () => {
    assert.equal(engineErrorMessage('{"error":{"message":"m1","type":"invalid_request_error","param":null,"code":null}}'), 'm1');
    assert.equal(engineErrorMessage('{"object":"error","message":"m2","type":"BadRequestError","param":null,"code":400}'), 'm2');
    assert.equal(engineErrorMessage('{"detail":"Not Found"}'), 'Not Found');
    assert.equal(engineErrorMessage('upstream connect error'), 'upstream connect error');
    assert.equal(engineErrorMessage(''), 'empty body');
  });

  test('Retry-After: ms header first, then seconds, then HTTP date', () => {
    assert.equal(parseRetryAfter({ 'retry-after-ms': '120', 'retry-after': '3' }), 120);
    assert.equal(parseRetryAfter({ 'retry-after': '3' }), 3000);
    assert.equal(parseRetryAfter({ 'retry-after': new Date(10_000).toUTCString() }, 4_000), 6000);
    assert.equal(parseRetryAfter({}), undefined);
  });

  test('every error code is documented in the README', () => {
    const readme = readFileSync(new URL('../../models/remote/README.md', import.meta.url), 'utf8');
    for (const code of REMOTE_ERROR_CODES) assert.ok(readme.includes(`\`${code}\``), `README documents ${code}`);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from '../../server/audio/g711.js';

const PROBES = Int16Array.from([-32768, -32636, -1000, -100, -1, 0, 1, 4, 100, 1000, 12345, 32767]);

function allSamples(): Int16Array {
  const pcm = new Int16Array(65536);
  for (let i = 0; i < pcm.length; i++) pcm[i] = i - 32768;
  return pcm;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

test('mu-law code points of the standard', () => {
  assert.deepEqual(Array.from(decodeMuLaw(Uint8Array.from([0x00, 0x80, 0xff, 0x7f, 0x7e, 0xfe]))), [-32124, 32124, 0, 0, -8, 8]);
  assert.deepEqual(Array.from(encodeMuLaw(PROBES)), [0, 0, 78, 114, 126, 255, 255, 254, 242, 206, 151, 128]);
});

test('A-law code points of the standard', () => {
  assert.deepEqual(Array.from(decodeALaw(Uint8Array.from([0xd5, 0x55, 0xaa, 0x2a]))), [8, -8, 32256, -32256]);
  assert.deepEqual(Array.from(encodeALaw(PROBES)), [42, 42, 122, 83, 85, 213, 213, 213, 211, 250, 189, 170]);
});

test('encoders match the reference (CPython audioop) on every 16-bit value', () => {
  // Digests of audioop.lin2ulaw / lin2alaw over -32768..32767, computed once.
  const pcm = allSamples();
  assert.equal(sha256(encodeMuLaw(pcm)), '81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a');
  assert.equal(sha256(encodeALaw(pcm)), '38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b');
});

test('decoding then re-encoding a code gives the code back', () => {
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const a = encodeALaw(decodeALaw(codes));
  assert.deepEqual(Array.from(a), Array.from(codes));
  const mu = encodeMuLaw(decodeMuLaw(codes));
  // 0x7f (negative zero) is the only code that decodes to the same value as another (0xff).
  for (let c = 0; c < 256; c++) assert.equal(mu[c], c === 0x7f ? 0xff : c, `mu-law code ${c}`);
});

test('round-trip error stays within the 8-bit companding bound (about 3.5% relative, 8 LSB near zero)', () => {
  const pcm = allSamples();
  for (const [name, encode, decode, maxStep] of [
    ['mu-law', encodeMuLaw, decodeMuLaw, 1024],
    ['A-law', encodeALaw, decodeALaw, 1024],
  ] as const) {
    const back = decode(encode(pcm));
    let worstRelative = 0;
    for (let i = 0; i < pcm.length; i++) {
      const x = pcm[i];
      const err = Math.abs(back[i] - x);
      // Logarithmic companding: the step grows with the magnitude (8 bits: ~1/16 of the segment).
      if (Math.abs(x) > 1024 && Math.abs(x) < 32000) worstRelative = Math.max(worstRelative, err / Math.abs(x));
      assert.ok(err <= maxStep, `${name} error ${err} at ${x}`);
      if (Math.abs(x) < 64) assert.ok(err <= 8, `${name} small-signal error ${err} at ${x}`);
    }
    assert.ok(worstRelative < 0.036, `${name} worst relative error ${worstRelative}`);
  }
});

test('encoders write into a caller buffer', () => {
  const out = new Uint8Array(3);
  assert.equal(encodeMuLaw(Int16Array.from([0, 1, 2]), out), out);
  assert.deepEqual(Array.from(out), [255, 255, 255]);
});

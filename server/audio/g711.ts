// ITU-T G.711 mu-law and A-law companding (the 8 kHz telephone formats of the
// Realtime protocol, `audio/pcmu` and `audio/pcma`). Both directions are table
// driven: decoding is one lookup per byte; encoding looks up the 14-bit (mu-law)
// or 13-bit (A-law) magnitude the codec keeps anyway, so the tables are exact.
// The bit manipulations follow the reference algorithm of ITU-T G.711 (as in
// the classic Sun `g711.c`), used here only to build the tables once.

const MU_LAW_BIAS = 0x84;
const MU_LAW_CLIP = 8159; // largest 14-bit magnitude before the bias pushes it past segment 7
const MU_LAW_SEGMENT_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const A_LAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segmentOf(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]) return i;
  return ends.length;
}

/** Reference mu-law encoder of one 16-bit sample. */
function muLawEncodeSample(pcm: number): number {
  let value = pcm >> 2; // 14-bit
  let mask: number;
  if (value < 0) {
    value = -value;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (value > MU_LAW_CLIP) value = MU_LAW_CLIP;
  value += MU_LAW_BIAS >> 2;
  const seg = segmentOf(value, MU_LAW_SEGMENT_END);
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((value >> (seg + 1)) & 0xf)) ^ mask) & 0xff;
}

function muLawDecodeSample(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + MU_LAW_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? MU_LAW_BIAS - t : t - MU_LAW_BIAS;
}

/** Reference A-law encoder of one 16-bit sample. */
function aLawEncodeSample(pcm: number): number {
  let value = pcm >> 3; // 13-bit
  let mask: number;
  if (value >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    value = -value - 1;
  }
  const seg = segmentOf(value, A_LAW_SEGMENT_END);
  if (seg >= 8) return 0x7f ^ mask;
  let code = seg << 4;
  code |= seg < 2 ? (value >> 1) & 0xf : (value >> seg) & 0xf;
  return (code ^ mask) & 0xff;
}

function aLawDecodeSample(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** Byte -> 16-bit sample. */
export const MU_LAW_DECODE = new Int16Array(256);
export const A_LAW_DECODE = new Int16Array(256);
/** Byte -> float sample in [-1, 1) (the pipeline's format). */
export const MU_LAW_DECODE_FLOAT = new Float32Array(256);
export const A_LAW_DECODE_FLOAT = new Float32Array(256);
// Encoders keep 14 (mu) / 13 (A) bits of the sample: index = (pcm >> shift) + offset.
const MU_LAW_ENCODE = new Uint8Array(1 << 14);
const A_LAW_ENCODE = new Uint8Array(1 << 13);

for (let code = 0; code < 256; code++) {
  MU_LAW_DECODE[code] = muLawDecodeSample(code);
  A_LAW_DECODE[code] = aLawDecodeSample(code);
  MU_LAW_DECODE_FLOAT[code] = MU_LAW_DECODE[code] / 32768;
  A_LAW_DECODE_FLOAT[code] = A_LAW_DECODE[code] / 32768;
}
for (let i = 0; i < MU_LAW_ENCODE.length; i++) MU_LAW_ENCODE[i] = muLawEncodeSample((i - (1 << 13)) << 2);
for (let i = 0; i < A_LAW_ENCODE.length; i++) A_LAW_ENCODE[i] = aLawEncodeSample((i - (1 << 12)) << 3);

export function encodeMuLaw(pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = MU_LAW_ENCODE[(pcm[i] >> 2) + 8192];
  return out;
}

export function decodeMuLaw(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length)): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = MU_LAW_DECODE[bytes[i]];
  return out;
}

export function encodeALaw(pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = A_LAW_ENCODE[(pcm[i] >> 3) + 4096];
  return out;
}

export function decodeALaw(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length)): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = A_LAW_DECODE[bytes[i]];
  return out;
}

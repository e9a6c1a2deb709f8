// IEEE half <-> float for fp16 exports (Node 20 has no Float16Array; ORT hands fp16 over as Uint16Array).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    if ((mant >> (shift - 1)) & 1) half += 1; // round half up
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >> 13);
  if (mant & 0x1000) half += 1; // round to nearest (carry may bump the exponent, which is correct)
  return half;
}

/** Copies `count` values starting at `offset` of a float32 or float16 buffer into `out`. */
export function readFloats(src: Float32Array | Uint16Array, offset: number, count: number, out: Float32Array): Float32Array {
  if (src instanceof Float32Array) {
    out.set(src.subarray(offset, offset + count));
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(src[offset + i]!);
  }
  return out;
}

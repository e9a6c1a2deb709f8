// Hand-written forward FFTs: a mixed-radix (4, 2, 3, 5, generic) Stockham complex FFT, and a real
// FFT of even size N computed as one complex FFT of size N/2 plus a twiddle post-pass.
// Everything (twiddles, work buffers) is allocated once in the constructor; transforms allocate nothing.

interface Stage {
  radix: number;
  /** Sub-transform length m = n / radix at this stage. */
  m: number;
  /** Stride s (product of the radices of earlier stages). */
  stride: number;
  /** Twiddles w^(j*q), q in [0, m), j in [1, radix): index q * (radix - 1) + j - 1. */
  twRe: Float64Array;
  twIm: Float64Array;
}

function factorize(n: number): number[] {
  const radices: number[] = [];
  let rest = n;
  for (const r of [4, 2, 3, 5]) {
    while (rest % r === 0) {
      radices.push(r);
      rest /= r;
    }
  }
  for (let r = 7; rest > 1; r += 2) {
    while (rest % r === 0) {
      radices.push(r);
      rest /= r;
    }
  }
  return radices;
}

const C3 = -0.5;
const S3 = Math.sqrt(3) / 2;
const C51 = Math.cos((2 * Math.PI) / 5);
const C52 = Math.cos((4 * Math.PI) / 5);
const S51 = Math.sin((2 * Math.PI) / 5);
const S52 = Math.sin((4 * Math.PI) / 5);

/** Forward complex DFT X[k] = sum x[n] e^{-2 pi i k n / N}, split real/imaginary arrays, in place. */
export class ComplexFft {
  readonly size: number;
  private readonly stages: Stage[];
  private readonly bufRe: Float64Array;
  private readonly bufIm: Float64Array;
  // Generic-radix scratch (radix > 5 only).
  private readonly genRe: Float64Array;
  private readonly genIm: Float64Array;
  private readonly rootRe: Float64Array;
  private readonly rootIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer (got ${size})`);
    this.size = size;
    this.bufRe = new Float64Array(size);
    this.bufIm = new Float64Array(size);
    this.stages = [];
    let n = size;
    let stride = 1;
    let maxRadix = 1;
    for (const radix of factorize(size)) {
      const m = n / radix;
      const twRe = new Float64Array(m * (radix - 1));
      const twIm = new Float64Array(m * (radix - 1));
      for (let q = 0; q < m; q++) {
        for (let j = 1; j < radix; j++) {
          const angle = (-2 * Math.PI * j * q) / n;
          twRe[q * (radix - 1) + j - 1] = Math.cos(angle);
          twIm[q * (radix - 1) + j - 1] = Math.sin(angle);
        }
      }
      this.stages.push({ radix, m, stride, twRe, twIm });
      maxRadix = Math.max(maxRadix, radix);
      n = m;
      stride *= radix;
    }
    this.genRe = new Float64Array(maxRadix);
    this.genIm = new Float64Array(maxRadix);
    this.rootRe = new Float64Array(maxRadix);
    this.rootIm = new Float64Array(maxRadix);
  }

  /** Transforms (re, im) in place. */
  transform(re: Float64Array, im: Float64Array): void {
    let xr = re;
    let xi = im;
    let yr = this.bufRe;
    let yi = this.bufIm;
    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]; // indexed, not for-of: an iterator per call would be garbage per hop
      switch (stage.radix) {
        case 4:
          radix4(stage, xr, xi, yr, yi);
          break;
        case 2:
          radix2(stage, xr, xi, yr, yi);
          break;
        case 3:
          radix3(stage, xr, xi, yr, yi);
          break;
        case 5:
          radix5(stage, xr, xi, yr, yi);
          break;
        default:
          this.radixGeneric(stage, xr, xi, yr, yi);
      }
      const tr = xr;
      const ti = xi;
      xr = yr;
      xi = yi;
      yr = tr;
      yi = ti;
    }
    if (xr !== re) {
      re.set(xr);
      im.set(xi);
    }
  }

  private radixGeneric(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
    const { radix: p, m, stride: s, twRe, twIm } = st;
    const aRe = this.genRe;
    const aIm = this.genIm;
    const wRe = this.rootRe;
    const wIm = this.rootIm;
    for (let k = 0; k < p; k++) {
      wRe[k] = Math.cos((-2 * Math.PI * k) / p);
      wIm[k] = Math.sin((-2 * Math.PI * k) / p);
    }
    for (let q = 0; q < m; q++) {
      for (let r = 0; r < s; r++) {
        for (let k = 0; k < p; k++) {
          aRe[k] = xr[r + s * (q + m * k)];
          aIm[k] = xi[r + s * (q + m * k)];
        }
        for (let j = 0; j < p; j++) {
          let sr = 0;
          let si = 0;
          for (let k = 0; k < p; k++) {
            const idx = (j * k) % p;
            sr += aRe[k] * wRe[idx] - aIm[k] * wIm[idx];
            si += aRe[k] * wIm[idx] + aIm[k] * wRe[idx];
          }
          const out = r + s * (p * q + j);
          if (j === 0) {
            yr[out] = sr;
            yi[out] = si;
          } else {
            const c = twRe[q * (p - 1) + j - 1];
            const d = twIm[q * (p - 1) + j - 1];
            yr[out] = sr * c - si * d;
            yi[out] = sr * d + si * c;
          }
        }
      }
    }
  }
}

// Stockham decimation-in-frequency stage: a_k = x[r + s(q + m k)], b_j = DFT_p(a)_j,
// y[r + s(p q + j)] = b_j * w^(j q), with w = e^{-2 pi i / (p m)}.

function radix2(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, stride: s, twRe, twIm } = st;
  for (let q = 0; q < m; q++) {
    const c = twRe[q];
    const d = twIm[q];
    const i0 = s * q;
    const i1 = s * (q + m);
    const o0 = s * 2 * q;
    const o1 = o0 + s;
    for (let r = 0; r < s; r++) {
      const ar = xr[i0 + r], ai = xi[i0 + r];
      const br = xr[i1 + r], bi = xi[i1 + r];
      yr[o0 + r] = ar + br;
      yi[o0 + r] = ai + bi;
      const dr = ar - br, di = ai - bi;
      yr[o1 + r] = dr * c - di * d;
      yi[o1 + r] = dr * d + di * c;
    }
  }
}

function radix4(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, stride: s, twRe, twIm } = st;
  if (m === 1) {
    radix4Last(s, xr, xi, yr, yi);
    return;
  }
  if (s === 1) {
    radix4First(st, xr, xi, yr, yi);
    return;
  }
  for (let q = 0; q < m; q++) {
    const t = q * 3;
    const c1 = twRe[t], d1 = twIm[t];
    const c2 = twRe[t + 1], d2 = twIm[t + 1];
    const c3 = twRe[t + 2], d3 = twIm[t + 2];
    const i0 = s * q;
    const i1 = s * (q + m);
    const i2 = s * (q + 2 * m);
    const i3 = s * (q + 3 * m);
    const o0 = s * 4 * q;
    for (let r = 0; r < s; r++) {
      const a0r = xr[i0 + r], a0i = xi[i0 + r];
      const a1r = xr[i1 + r], a1i = xi[i1 + r];
      const a2r = xr[i2 + r], a2i = xi[i2 + r];
      const a3r = xr[i3 + r], a3i = xi[i3 + r];
      const s02r = a0r + a2r, s02i = a0i + a2i;
      const d02r = a0r - a2r, d02i = a0i - a2i;
      const s13r = a1r + a3r, s13i = a1i + a3i;
      const d13r = a1r - a3r, d13i = a1i - a3i;
      // b1 = d02 - i d13, b3 = d02 + i d13
      const b1r = d02r + d13i, b1i = d02i - d13r;
      const b2r = s02r - s13r, b2i = s02i - s13i;
      const b3r = d02r - d13i, b3i = d02i + d13r;
      const o = o0 + r;
      yr[o] = s02r + s13r;
      yi[o] = s02i + s13i;
      yr[o + s] = b1r * c1 - b1i * d1;
      yi[o + s] = b1r * d1 + b1i * c1;
      yr[o + 2 * s] = b2r * c2 - b2i * d2;
      yi[o + 2 * s] = b2r * d2 + b2i * c2;
      yr[o + 3 * s] = b3r * c3 - b3i * d3;
      yi[o + 3 * s] = b3r * d3 + b3i * c3;
    }
  }
}

/** The first radix-4 stage (stride 1): no inner loop. */
function radix4First(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, twRe, twIm } = st;
  for (let q = 0, t = 0, o = 0; q < m; q++, t += 3, o += 4) {
    const a0r = xr[q], a0i = xi[q];
    const a1r = xr[q + m], a1i = xi[q + m];
    const a2r = xr[q + 2 * m], a2i = xi[q + 2 * m];
    const a3r = xr[q + 3 * m], a3i = xi[q + 3 * m];
    const s02r = a0r + a2r, s02i = a0i + a2i;
    const d02r = a0r - a2r, d02i = a0i - a2i;
    const s13r = a1r + a3r, s13i = a1i + a3i;
    const d13r = a1r - a3r, d13i = a1i - a3i;
    const b1r = d02r + d13i, b1i = d02i - d13r;
    const b2r = s02r - s13r, b2i = s02i - s13i;
    const b3r = d02r - d13i, b3i = d02i + d13r;
    const c1 = twRe[t], d1 = twIm[t];
    const c2 = twRe[t + 1], d2 = twIm[t + 1];
    const c3 = twRe[t + 2], d3 = twIm[t + 2];
    yr[o] = s02r + s13r;
    yi[o] = s02i + s13i;
    yr[o + 1] = b1r * c1 - b1i * d1;
    yi[o + 1] = b1r * d1 + b1i * c1;
    yr[o + 2] = b2r * c2 - b2i * d2;
    yi[o + 2] = b2r * d2 + b2i * c2;
    yr[o + 3] = b3r * c3 - b3i * d3;
    yi[o + 3] = b3r * d3 + b3i * c3;
  }
}

/** The last radix-4 stage (m = 1): every twiddle is 1. */
function radix4Last(s: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  for (let r = 0; r < s; r++) {
    const a0r = xr[r], a0i = xi[r];
    const a1r = xr[s + r], a1i = xi[s + r];
    const a2r = xr[2 * s + r], a2i = xi[2 * s + r];
    const a3r = xr[3 * s + r], a3i = xi[3 * s + r];
    const s02r = a0r + a2r, s02i = a0i + a2i;
    const d02r = a0r - a2r, d02i = a0i - a2i;
    const s13r = a1r + a3r, s13i = a1i + a3i;
    const d13r = a1r - a3r, d13i = a1i - a3i;
    yr[r] = s02r + s13r;
    yi[r] = s02i + s13i;
    yr[s + r] = d02r + d13i;
    yi[s + r] = d02i - d13r;
    yr[2 * s + r] = s02r - s13r;
    yi[2 * s + r] = s02i - s13i;
    yr[3 * s + r] = d02r - d13i;
    yi[3 * s + r] = d02i + d13r;
  }
}

function radix3(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, stride: s, twRe, twIm } = st;
  for (let q = 0; q < m; q++) {
    const t = q * 2;
    const c1 = twRe[t], d1 = twIm[t];
    const c2 = twRe[t + 1], d2 = twIm[t + 1];
    const i0 = s * q;
    const i1 = s * (q + m);
    const i2 = s * (q + 2 * m);
    const o0 = s * 3 * q;
    for (let r = 0; r < s; r++) {
      const a0r = xr[i0 + r], a0i = xi[i0 + r];
      const a1r = xr[i1 + r], a1i = xi[i1 + r];
      const a2r = xr[i2 + r], a2i = xi[i2 + r];
      const tr = a1r + a2r, ti = a1i + a2i;
      const ur = a0r + C3 * tr, ui = a0i + C3 * ti;
      // -i * S3 * (a1 - a2)
      const vr = S3 * (a1i - a2i), vi = -S3 * (a1r - a2r);
      const b1r = ur + vr, b1i = ui + vi;
      const b2r = ur - vr, b2i = ui - vi;
      const o = o0 + r;
      yr[o] = a0r + tr;
      yi[o] = a0i + ti;
      yr[o + s] = b1r * c1 - b1i * d1;
      yi[o + s] = b1r * d1 + b1i * c1;
      yr[o + 2 * s] = b2r * c2 - b2i * d2;
      yi[o + 2 * s] = b2r * d2 + b2i * c2;
    }
  }
}

function radix5(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, stride: s, twRe, twIm } = st;
  for (let q = 0; q < m; q++) {
    const t = q * 4;
    const c1 = twRe[t], d1 = twIm[t];
    const c2 = twRe[t + 1], d2 = twIm[t + 1];
    const c3 = twRe[t + 2], d3 = twIm[t + 2];
    const c4 = twRe[t + 3], d4 = twIm[t + 3];
    const i0 = s * q;
    const i1 = s * (q + m);
    const i2 = s * (q + 2 * m);
    const i3 = s * (q + 3 * m);
    const i4 = s * (q + 4 * m);
    const o0 = s * 5 * q;
    for (let r = 0; r < s; r++) {
      const a0r = xr[i0 + r], a0i = xi[i0 + r];
      const a1r = xr[i1 + r], a1i = xi[i1 + r];
      const a2r = xr[i2 + r], a2i = xi[i2 + r];
      const a3r = xr[i3 + r], a3i = xi[i3 + r];
      const a4r = xr[i4 + r], a4i = xi[i4 + r];
      const t1r = a1r + a4r, t1i = a1i + a4i;
      const t2r = a2r + a3r, t2i = a2i + a3i;
      const e1r = a1r - a4r, e1i = a1i - a4i;
      const e2r = a2r - a3r, e2i = a2i - a3i;
      const p1r = a0r + C51 * t1r + C52 * t2r, p1i = a0i + C51 * t1i + C52 * t2i;
      const p2r = a0r + C52 * t1r + C51 * t2r, p2i = a0i + C52 * t1i + C51 * t2i;
      // -i * (S51 e1 + S52 e2) and -i * (S52 e1 - S51 e2)
      const g1r = S51 * e1i + S52 * e2i, g1i = -(S51 * e1r + S52 * e2r);
      const g2r = S52 * e1i - S51 * e2i, g2i = -(S52 * e1r - S51 * e2r);
      const b1r = p1r + g1r, b1i = p1i + g1i;
      const b4r = p1r - g1r, b4i = p1i - g1i;
      const b2r = p2r + g2r, b2i = p2i + g2i;
      const b3r = p2r - g2r, b3i = p2i - g2i;
      const o = o0 + r;
      yr[o] = a0r + t1r + t2r;
      yi[o] = a0i + t1i + t2i;
      yr[o + s] = b1r * c1 - b1i * d1;
      yi[o + s] = b1r * d1 + b1i * c1;
      yr[o + 2 * s] = b2r * c2 - b2i * d2;
      yi[o + 2 * s] = b2r * d2 + b2i * c2;
      yr[o + 3 * s] = b3r * c3 - b3i * d3;
      yi[o + 3 * s] = b3r * d3 + b3i * c3;
      yr[o + 4 * s] = b4r * c4 - b4i * d4;
      yi[o + 4 * s] = b4r * d4 + b4i * c4;
    }
  }
}

/**
 * Real-input FFT of even size N returning the N/2 + 1 one-sided bins (power or components).
 * Packs x[2n] + i x[2n+1] into one N/2-point complex FFT, then separates even/odd spectra.
 */
export class RealFft {
  readonly size: number;
  readonly bins: number;
  private readonly half: number;
  private readonly fft: ComplexFft;
  private readonly zRe: Float64Array;
  private readonly zIm: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) throw new RangeError(`real FFT size must be even (got ${size})`);
    this.size = size;
    this.half = size / 2;
    this.bins = this.half + 1;
    this.fft = new ComplexFft(this.half);
    this.zRe = new Float64Array(this.half);
    this.zIm = new Float64Array(this.half);
    this.cos = new Float64Array(this.bins);
    this.sin = new Float64Array(this.bins);
    for (let k = 0; k <= this.half; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /**
   * The packed input: sample 2n goes to packedRe[n], sample 2n+1 to packedIm[n]. Callers that
   * produce samples anyway can write here directly and call powerFromPacked (saves a pass).
   */
  get packedRe(): Float64Array {
    return this.zRe;
  }

  get packedIm(): Float64Array {
    return this.zIm;
  }

  /** |X[k]|^2 for k in [0, N/2] into `power` (length >= N/2 + 1). `input` has N samples. */
  power(input: Float64Array, power: Float64Array): void {
    this.pack(input);
    this.powerFromPacked(power);
  }

  /** |X[k]|^2 of the samples already in packedRe/packedIm (which this overwrites). */
  powerFromPacked(power: Float64Array): void {
    const { zRe, zIm, cos, sin, half } = this;
    this.fft.transform(zRe, zIm);
    const z0r = zRe[0], z0i = zIm[0];
    power[0] = (z0r + z0i) * (z0r + z0i);
    power[half] = (z0r - z0i) * (z0r - z0i);
    for (let k = 1; k < half; k++) {
      const a = zRe[k], b = zIm[k];
      const c = zRe[half - k], d = zIm[half - k];
      const er = 0.5 * (a + c), ei = 0.5 * (b - d);
      const or = 0.5 * (b + d), oi = -0.5 * (a - c);
      const wc = cos[k], ws = sin[k];
      // X = E + e^{-i theta} O
      const xr = er + or * wc + oi * ws;
      const xi = ei + oi * wc - or * ws;
      power[k] = xr * xr + xi * xi;
    }
  }

  /** Complex one-sided spectrum (for tests and callers that need phase). */
  spectrum(input: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    this.pack(input);
    const { zRe, zIm, cos, sin, half } = this;
    this.fft.transform(zRe, zIm);
    outRe[0] = zRe[0] + zIm[0];
    outIm[0] = 0;
    outRe[half] = zRe[0] - zIm[0];
    outIm[half] = 0;
    for (let k = 1; k < half; k++) {
      const a = zRe[k], b = zIm[k];
      const c = zRe[half - k], d = zIm[half - k];
      const er = 0.5 * (a + c), ei = 0.5 * (b - d);
      const or = 0.5 * (b + d), oi = -0.5 * (a - c);
      outRe[k] = er + or * cos[k] + oi * sin[k];
      outIm[k] = ei + oi * cos[k] - or * sin[k];
    }
  }

  private pack(input: Float64Array): void {
    const { zRe, zIm, half } = this;
    for (let n = 0; n < half; n++) {
      zRe[n] = input[2 * n];
      zIm[n] = input[2 * n + 1];
    }
  }
}

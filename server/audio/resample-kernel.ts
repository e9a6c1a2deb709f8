// The resampler's inner loop as a WebAssembly SIMD kernel: every output sample is a dot product
// of the filter phase for its position with the input around it, four taps at a time (f32x4).
// The scalar JavaScript loop it replaces was the largest single cost of a conversational session
// (bench:conversation's profile: 16-20% of the server's busy time, three streams per spoken
// session: microphone 24 -> 16 kHz, speech 22.05 -> 24 kHz, echo reference 24 -> 16 kHz).
//
// The module is 200-odd bytes, assembled here from its instructions (below, with the text form
// beside each), so there is no build step and no binary in the repository. One instance and one
// memory serve every stream: each call copies the input window it needs in, and the outputs out
// (a copy costs a small fraction of the taps it feeds). Where WebAssembly SIMD is missing the
// resampler keeps its JavaScript loop (`simdKernel()` is null).
//
// Sums are single precision in four lanes (the JavaScript loop sums in double precision): the
// two differ by at most 2.4e-7 on white noise at full scale (-132 dB). Streaming stays exactly
// equal to one shot, since every output is computed the same way whatever the chunking.

/** Layout of one call in the kernel's memory: coefficients (one bank), then input, then output. */
export interface KernelCall {
  /** Filter phases x padded taps, each row padded with zeros to a multiple of 4. */
  coefficients: Float32Array;
  paddedTaps: number;
  phases: number;
  /** Input samples from the first tap of the first output; at least what `count` outputs read, plus the padding. */
  input: Float32Array;
  count: number;
  /** Position of the first output: input index (into `input`) and phase. */
  index: number;
  phase: number;
  /** Per output the position advances `whole` samples and `rest` phases (carried past `phases`). */
  whole: number;
  rest: number;
}

export interface ResampleKernel {
  /** Computes `call.count` outputs into `out` from `outAt` on. */
  run(call: KernelCall, out: Float32Array, outAt: number): void;
  /** The kernel's memory now (it grows to the largest call, and never shrinks). */
  readonly memoryBytes: number;
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
}

// Parameters: 0 coef, 1 rowBytes, 2 input, 3 output, 4 count, 5 index, 6 phase, 7 whole, 8 rest, 9 phases.
// Locals: 10 n, 11 k, 12 c, 13 b, 14 acc (v128).
const P = { coef: 0, rowBytes: 1, input: 2, output: 3, count: 4, index: 5, phase: 6, whole: 7, rest: 8, phases: 9, n: 10, k: 11, c: 12, b: 13, acc: 14 };
const get = (i: number) => [0x20, i]; // local.get
const set = (i: number) => [0x21, i]; // local.set
const i32c = (v: number) => [0x41, ...uleb(v)]; // i32.const (small non-negative values only)
const ADD = 0x6a; // i32.add
const MUL = 0x6c; // i32.mul
const SUB = 0x6b; // i32.sub
const LT_U = 0x49; // i32.lt_u
const GE_U = 0x4f; // i32.ge_u
const SIMD = 0xfd;

const body: number[] = [
  // (local i32 i32 i32 i32) (local v128)
  ...vector([[4, I32], [1, V128]]),
  // block $done  loop $outputs
  0x02, 0x40, 0x03, 0x40,
  //   br_if $done (n >= count)
  ...get(P.n), ...get(P.count), GE_U, 0x0d, 1,
  //   c = coef + phase * rowBytes ; b = input + index * 4 ; k = 0 ; acc = 0
  ...get(P.coef), ...get(P.phase), ...get(P.rowBytes), MUL, ADD, ...set(P.c),
  ...get(P.input), ...get(P.index), ...i32c(4), MUL, ADD, ...set(P.b),
  ...i32c(0), ...set(P.k),
  SIMD, ...uleb(12), ...new Array(16).fill(0), ...set(P.acc), // v128.const 0
  //   loop $taps: acc += load(c + k) * load(b + k) ; k += 16 ; br_if $taps (k < rowBytes)
  0x03, 0x40,
  ...get(P.acc),
  ...get(P.c), ...get(P.k), ADD, SIMD, ...uleb(0), 0, 0, // v128.load align=1 offset=0
  ...get(P.b), ...get(P.k), ADD, SIMD, ...uleb(0), 0, 0,
  SIMD, ...uleb(230), // f32x4.mul
  SIMD, ...uleb(228), // f32x4.add
  ...set(P.acc),
  ...get(P.k), ...i32c(16), ADD, 0x22, P.k, // local.tee k
  ...get(P.rowBytes), LT_U, 0x0d, 0,
  0x0b,
  //   f32.store (output + n * 4) ((lane0 + lane1) + (lane2 + lane3))
  ...get(P.output), ...get(P.n), ...i32c(4), MUL, ADD,
  ...get(P.acc), SIMD, ...uleb(31), 0, ...get(P.acc), SIMD, ...uleb(31), 1, 0x92,
  ...get(P.acc), SIMD, ...uleb(31), 2, ...get(P.acc), SIMD, ...uleb(31), 3, 0x92,
  0x92,
  0x38, 2, 0, // f32.store align=4 offset=0
  //   index += whole ; phase += rest ; if (phase >= phases) { phase -= phases ; index += 1 }
  ...get(P.index), ...get(P.whole), ADD, ...set(P.index),
  ...get(P.phase), ...get(P.rest), ADD, ...set(P.phase),
  ...get(P.phase), ...get(P.phases), GE_U, 0x04, 0x40,
  ...get(P.phase), ...get(P.phases), SUB, ...set(P.phase),
  ...get(P.index), ...i32c(1), ADD, ...set(P.index),
  0x0b,
  //   n += 1 ; br $outputs
  ...get(P.n), ...i32c(1), ADD, ...set(P.n),
  0x0c, 0,
  0x0b, 0x0b, // end loop, end block
  0x0b, // end function
];

function moduleBytes(): Uint8Array {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector(new Array(10).fill([I32])), 0]])), // type 0: (10 x i32) -> ()
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(5, vector([[0x00, 1]])), // memory 0: min 1 page
    ...section(7, vector([[...name('run'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

class SimdKernel implements ResampleKernel {
  private readonly memory: WebAssembly.Memory;
  private readonly runRaw: (...args: number[]) => void;
  /** Where each filter bank lives in the memory (floats): copied in once, as banks are few and shared by every stream. */
  private readonly banks = new Map<Float32Array, number>();
  /** Input and output of a call go after the banks. */
  private scratchAt = 0;
  private view: Float32Array;

  constructor(instance: WebAssembly.Instance) {
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.runRaw = instance.exports.run as (...args: number[]) => void;
    this.view = new Float32Array(this.memory.buffer);
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  run(call: KernelCall, out: Float32Array, outAt: number): void {
    let bankAt = this.banks.get(call.coefficients);
    if (bankAt === undefined) {
      bankAt = this.scratchAt;
      this.ensure(bankAt + call.coefficients.length);
      this.view.set(call.coefficients, bankAt);
      this.banks.set(call.coefficients, bankAt);
      this.scratchAt += call.coefficients.length;
    }
    const inputAt = this.scratchAt;
    const outputAt = inputAt + call.input.length;
    this.ensure(outputAt + call.count);
    this.view.set(call.input, inputAt);
    this.runRaw(bankAt * 4, call.paddedTaps * 4, inputAt * 4, outputAt * 4, call.count, call.index, call.phase, call.whole, call.rest, call.phases);
    out.set(this.view.subarray(outputAt, outputAt + call.count), outAt);
  }

  private ensure(floats: number): void {
    const bytes = floats * 4;
    if (bytes <= this.memory.buffer.byteLength) return;
    this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / 65536));
    this.view = new Float32Array(this.memory.buffer);
  }
}

let kernel: ResampleKernel | null | undefined;
let enabled = true;

/** The SIMD kernel, or null where this runtime has no WebAssembly SIMD (or it was turned off). */
export function simdKernel(): ResampleKernel | null {
  if (!enabled) return null;
  if (kernel !== undefined) return kernel;
  kernel = null;
  const bytes = moduleBytes();
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return kernel;
  kernel = new SimdKernel(new WebAssembly.Instance(new WebAssembly.Module(bytes)));
  return kernel;
}

/** Benchmarks and tests compare the two loops: false makes new calls use the JavaScript loop. */
export function useSimdResampler(on: boolean): void {
  enabled = on;
}

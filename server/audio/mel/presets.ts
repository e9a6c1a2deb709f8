import { validateMelOptions, type MelOptions, type MelPresetName } from './options.js';

const FLT_EPSILON = 1.1920928955078125e-7;

// Kaldi fbank as VITA's (wenet-derived) audio encoder computes it: torchaudio.compliance.kaldi.fbank
// defaults with 80 bins, dither 0, on samples scaled to the int16 range.
const kaldi: MelOptions = {
  name: 'kaldi',
  sampleRate: 16000,
  nFft: 512,
  winLength: 400,
  hopLength: 160,
  window: 'povey',
  periodicWindow: false,
  windowExponent: 1,
  padding: 'snip-edges',
  dropLastFrame: false,
  nMels: 80,
  fMin: 20,
  fMax: 0,
  melScale: 'htk',
  melTriangles: 'mel',
  melNorm: 'none',
  spectrum: 'power',
  inputScale: 32768,
  dither: 0,
  ditherSeed: 1,
  removeDc: true,
  preEmphasis: 0.97,
  log: 'ln',
  logFloor: FLT_EPSILON,
  logFloorMode: 'clamp',
  normalization: 'none',
  utteranceNormVars: true,
  stdFloor: 1e-3,
  whisperDynamicRange: 8,
  maxRetainedFrames: 6000,
};

// openai/whisper audio.log_mel_spectrogram: periodic Hann 400, hop 160, center reflect, last frame
// dropped, librosa Slaney filters (slaney norm), power, log10 clamp 1e-10, (max(x, max-8)+4)/4.
const whisper: MelOptions = {
  ...kaldi,
  name: 'whisper',
  nFft: 400,
  winLength: 400,
  window: 'hann',
  periodicWindow: true,
  padding: 'center-reflect',
  dropLastFrame: true,
  fMin: 0,
  fMax: 8000,
  melScale: 'slaney',
  melTriangles: 'hz',
  melNorm: 'slaney',
  inputScale: 1,
  removeDc: false,
  preEmphasis: 0,
  log: 'log10',
  logFloor: 1e-10,
  normalization: 'whisper',
};

// moonshine-ai/moonshine micro/feature-generation (log_mel.cc) with the spelling CNNs' metadata:
// periodic Hann 512, hop 125, center reflect, Slaney filters 20 Hz - 8 kHz, ln(x + 1e-6),
// per-clip scalar standardisation. A 1 s clip gives 128 frames (the 129th is cropped).
const moonshineMicro: MelOptions = {
  ...whisper,
  name: 'moonshine-micro',
  nFft: 512,
  winLength: 512,
  hopLength: 125,
  dropLastFrame: false,
  nMels: 64,
  fMin: 20,
  log: 'ln',
  logFloor: 1e-6,
  logFloorMode: 'add',
  normalization: 'utterance-scalar',
};

// The TinyVadCNN front-end (tinyvad_cnn_speech_meta.json, MelStreamer): non-overlapping 512-sample
// blocks (32 ms), no centring, 32 Slaney mels, standardised over each 16-frame window.
const moonshineVad: MelOptions = {
  ...moonshineMicro,
  name: 'moonshine-vad',
  hopLength: 512,
  padding: 'snip-edges',
  nMels: 32,
};

const PRESETS: Record<MelPresetName, MelOptions> = {
  kaldi,
  whisper,
  'whisper-128': { ...whisper, name: 'whisper-128', nMels: 128 },
  'moonshine-micro': moonshineMicro,
  'moonshine-vad': moonshineVad,
};

export const MEL_PRESET_NAMES = Object.keys(PRESETS) as MelPresetName[];

export function melPreset(name: MelPresetName, overrides: Partial<MelOptions> = {}): MelOptions {
  const base = PRESETS[name];
  if (!base) throw new RangeError(`unknown mel preset '${name}' (known: ${MEL_PRESET_NAMES.join(', ')})`);
  const options: MelOptions = { ...base, ...overrides };
  validateMelOptions(options);
  return options;
}

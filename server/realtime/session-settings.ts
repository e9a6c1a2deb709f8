import type { AudioFormat, SessionObject, SessionUpdate, TurnDetection } from '../../protocol/schema/session.js';
import type { CapabilityStatus, Capability } from '../../models/types.js';
import { ProtocolError } from '../../protocol/errors.js';

/** A session's live settings (GA shape, already normalised). */
export interface SessionSettings {
  model: string;
  instructions: string;
  outputModalities: ('text' | 'audio')[];
  inputFormat: AudioFormat;
  outputFormat: AudioFormat;
  transcription: { model?: string; language?: string; prompt?: string } | null;
  turnDetection: TurnDetection;
  noiseReduction: { type: 'near_field' | 'far_field' } | null;
  voice: string;
  speed: number;
  maxOutputTokens: number | 'inf';
  temperature: number | undefined;
  /** Cancel the assistant's own voice in the input (Duet extension `duet.echo_cancellation`, default on). */
  echoCancellation: boolean;
}

type ServerVad = Extract<NonNullable<TurnDetection>, { type: 'server_vad' }>;

export const DEFAULT_TURN_DETECTION: ServerVad = {
  type: 'server_vad',
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 500,
  create_response: true,
  interrupt_response: true,
  idle_timeout_ms: null,
};

export function defaultSettings(model: string, voice: string, vad: { threshold: number; prefixPaddingMs: number; silenceDurationMs: number }): SessionSettings {
  return {
    model,
    instructions: 'You are Duet, a helpful voice assistant. Answer briefly and naturally.',
    outputModalities: ['audio'],
    inputFormat: { type: 'audio/pcm', rate: 24000 },
    outputFormat: { type: 'audio/pcm', rate: 24000 },
    transcription: null,
    turnDetection: { ...DEFAULT_TURN_DETECTION, threshold: vad.threshold, prefix_padding_ms: vad.prefixPaddingMs, silence_duration_ms: vad.silenceDurationMs },
    noiseReduction: null,
    voice,
    speed: 1,
    maxOutputTokens: 'inf',
    temperature: undefined,
    echoCancellation: true,
  };
}

function betaFormat(format: 'pcm16' | 'g711_ulaw' | 'g711_alaw'): AudioFormat {
  if (format === 'g711_ulaw') return { type: 'audio/pcmu' };
  if (format === 'g711_alaw') return { type: 'audio/pcma' };
  return { type: 'audio/pcm', rate: 24000 };
}

function withTurnDefaults(td: TurnDetection, previous: TurnDetection): TurnDetection {
  if (td === null) return null;
  if (td.type === 'semantic_vad') return { create_response: true, interrupt_response: true, eagerness: 'auto', ...td };
  const base = previous && previous.type === 'server_vad' ? previous : DEFAULT_TURN_DETECTION;
  return { ...base, ...td };
}

/** Applies a client's session.update (GA or beta keys) onto the settings; returns the new settings. */
export function applySessionUpdate(current: SessionSettings, update: SessionUpdate, voices: readonly string[] | null): SessionSettings {
  const next: SessionSettings = { ...current };
  if (update.type === 'transcription') throw new ProtocolError('unsupported_value', 'Transcription-only sessions are not supported; use type "realtime".', 'session.type');
  if (update.model !== undefined) next.model = update.model;
  if (update.instructions !== undefined) next.instructions = update.instructions;
  const modalities = update.output_modalities ?? update.modalities;
  if (modalities) next.outputModalities = modalities.includes('audio') ? ['audio'] : ['text'];
  const input = update.audio?.input;
  const output = update.audio?.output;
  if (input?.format) next.inputFormat = normaliseFormat(input.format);
  else if (update.input_audio_format) next.inputFormat = betaFormat(update.input_audio_format);
  if (output?.format) {
    if (output.format.type === 'audio/pcm' && output.format.rate === 16000) throw new ProtocolError('unsupported_value', 'Output audio/pcm is 24 kHz only.', 'session.audio.output.format.rate');
    next.outputFormat = normaliseFormat(output.format);
  } else if (update.output_audio_format) next.outputFormat = betaFormat(update.output_audio_format);
  const transcription = input?.transcription !== undefined ? input.transcription : update.input_audio_transcription;
  if (transcription !== undefined) next.transcription = transcription;
  const turn = input?.turn_detection !== undefined ? input.turn_detection : update.turn_detection;
  if (turn !== undefined) next.turnDetection = withTurnDefaults(turn, current.turnDetection);
  const noise = input?.noise_reduction !== undefined ? input.noise_reduction : update.input_audio_noise_reduction;
  if (noise !== undefined) next.noiseReduction = noise;
  const voice = output?.voice ?? update.voice;
  if (voice !== undefined) {
    if (voices && !voices.includes(voice)) throw new ProtocolError('unsupported_value', `Unknown voice '${voice}'. Available: ${voices.join(', ')}.`, 'session.audio.output.voice');
    next.voice = voice;
  }
  const speed = output?.speed ?? update.speed;
  if (speed !== undefined) next.speed = speed;
  const maxTokens = update.max_output_tokens ?? update.max_response_output_tokens;
  if (maxTokens !== undefined) next.maxOutputTokens = maxTokens;
  if (update.temperature !== undefined) next.temperature = update.temperature;
  if (update.duet?.echo_cancellation !== undefined) next.echoCancellation = update.duet.echo_cancellation;
  return next;
}

function normaliseFormat(format: AudioFormat): AudioFormat {
  return format.type === 'audio/pcm' ? { type: 'audio/pcm', rate: format.rate ?? 24000 } : format;
}

export function toSessionObject(id: string, s: SessionSettings, capabilities: Record<Capability, CapabilityStatus>): SessionObject {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id,
    model: s.model,
    instructions: s.instructions,
    output_modalities: s.outputModalities,
    audio: {
      input: { format: s.inputFormat, transcription: s.transcription, turn_detection: s.turnDetection, noise_reduction: s.noiseReduction },
      output: { format: s.outputFormat, voice: s.voice, speed: s.speed },
    },
    max_output_tokens: s.maxOutputTokens,
    tools: [],
    tool_choice: 'auto',
    duet: { capabilities, echo_cancellation: s.echoCancellation },
  };
}

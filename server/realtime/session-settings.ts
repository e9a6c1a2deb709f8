import type { Static } from '@sinclair/typebox';
import type { AudioFormat, Reasoning, SessionObject, SessionUpdate, Tool, ToolChoice, Tracing, Truncation, TurnDetection } from '../../protocol/schema/session.js';
import type { CapabilityStatus, Capability } from '../../models/types.js';
import { ProtocolError } from '../../protocol/errors.js';
import { findAudioFormat, findBetaAudioFormat } from '../audio/formats.js';

/** A session's live settings (GA shape, already normalised). */
export interface SessionSettings {
  model: string;
  instructions: string;
  outputModalities: ('text' | 'audio')[];
  inputFormat: AudioFormat;
  outputFormat: AudioFormat;
  transcription: NonNullable<SessionUpdate['input_audio_transcription']> | null;
  turnDetection: TurnDetection;
  noiseReduction: { type: 'near_field' | 'far_field' } | null;
  voice: string;
  speed: number;
  maxOutputTokens: number | 'inf';
  temperature: number | undefined;
  /**
   * Duet extension `duet.speech_started`: `immediate` announces speech at once (duet-aware clients
   * pause playback on duet.response.paused themselves); `confirmed` holds the announcement of
   * speech over an answer until the monitor decides it is a query (plain OpenAI clients cut
   * playback on speech_started).
   */
  speechStarted: 'immediate' | 'confirmed';
  // OpenAI keys stored and echoed only (protocol/README.md, "Compatibility"): no model here acts on them.
  tools: Static<typeof Tool>[];
  toolChoice: Static<typeof ToolChoice>;
  parallelToolCalls: boolean | undefined;
  reasoning: Static<typeof Reasoning> | undefined;
  tracing: Static<typeof Tracing>;
  truncation: Static<typeof Truncation>;
  include: NonNullable<SessionUpdate['include']> | null;
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
    speechStarted: 'confirmed',
    tools: [],
    toolChoice: 'auto',
    parallelToolCalls: undefined,
    reasoning: undefined,
    tracing: null,
    truncation: 'auto',
    include: null,
    echoCancellation: true,
  };
}

function betaFormat(name: 'pcm16' | 'g711_ulaw' | 'g711_alaw'): AudioFormat {
  const spec = findBetaAudioFormat(name)!; // the schema admits only names the registry has
  return (spec.type === 'audio/pcm' ? { type: spec.type, rate: spec.rate } : { type: spec.type }) as AudioFormat;
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
    if (!findAudioFormat(output.format)?.output) throw new ProtocolError('unsupported_value', `Output ${output.format.type} is not available at that rate (output audio/pcm is 24 kHz only).`, 'session.audio.output.format.rate');
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
  if (update.duet?.speech_started !== undefined) next.speechStarted = update.duet.speech_started;
  if (update.prompt) {
    // OpenAI resolves a stored prompt by id; Duet has no prompt store, and answering with the
    // session's own instructions instead would silently ignore what the client asked for.
    throw new ProtocolError('unsupported_value', 'Stored prompts (session.prompt.id) are not supported by Duet; send the text as `instructions`.', 'session.prompt');
  }
  if (update.tools !== undefined) next.tools = update.tools;
  if (update.tool_choice !== undefined) next.toolChoice = update.tool_choice;
  if (update.parallel_tool_calls !== undefined) next.parallelToolCalls = update.parallel_tool_calls;
  if (update.reasoning !== undefined) next.reasoning = update.reasoning;
  if (update.tracing !== undefined) next.tracing = update.tracing;
  if (update.truncation !== undefined) next.truncation = update.truncation;
  if (update.include !== undefined) next.include = update.include;
  if (update.duet?.echo_cancellation !== undefined) next.echoCancellation = update.duet.echo_cancellation;
  return next;
}

function normaliseFormat(format: AudioFormat): AudioFormat {
  return format.type === 'audio/pcm' ? { type: 'audio/pcm', rate: format.rate ?? 24000 } : format;
}

/**
 * Input transcription asked for while no speech recognizer is loaded: the setting is kept (OpenAI
 * clients such as the Agents SDK ask for it by default and treat an `error` as fatal), and the
 * session object says that no transcripts will come.
 */
function withTranscriptionNote(s: SessionSettings, capabilities: Record<Capability, CapabilityStatus>): Record<Capability, CapabilityStatus> {
  if (s.transcription === null || capabilities.asr.available) return capabilities;
  const reason = `${capabilities.asr.reason ?? 'no speech recognizer is loaded'}; input transcription was requested but user audio items keep transcript null and no transcription events are sent`;
  return { ...capabilities, asr: { ...capabilities.asr, reason } };
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
    tools: s.tools,
    tool_choice: s.toolChoice,
    ...(s.parallelToolCalls !== undefined ? { parallel_tool_calls: s.parallelToolCalls } : {}),
    ...(s.reasoning !== undefined ? { reasoning: s.reasoning } : {}),
    prompt: null,
    tracing: s.tracing,
    truncation: s.truncation,
    include: s.include,
    duet: { capabilities: withTranscriptionNote(s, capabilities), speech_started: s.speechStarted, echo_cancellation: s.echoCancellation },
  };
}

// The contracts between the server and every model backend (scripted, embedded
// ONNX, remote OpenAI-compatible engine). The server only ever sees these types;
// implementations live in sibling folders and never import each other.

/** A speech segment as the audio front-end hands it on: 16 kHz mono float. */
export interface AudioSegment {
  /** 16 kHz mono samples in [-1, 1]. */
  samples: Float32Array;
  sampleRate: 16000;
  /** Log-mel features of `samples` when the front-end computed them (row-major [frames][bins]). */
  mel?: MelFeatures;
  /** Milliseconds since the session's audio stream started. */
  startMs: number;
  endMs: number;
}

export interface MelFeatures {
  preset: string;
  frames: number;
  bins: number;
  /** Row-major, frames x bins. */
  data: Float32Array;
}

/** An image already checked and decoded by the server's vision front-end. */
export interface ImageInput {
  mimeType: 'image/jpeg' | 'image/png';
  /** The encoded bytes as received (remote engines forward these as data URLs). */
  bytes: Uint8Array;
  width: number;
  height: number;
  /** Capture time in ms on the session clock, when known (camera frames). */
  capturedAtMs?: number;
}

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'audio'; segment: AudioSegment; transcript?: string }
  | { type: 'image'; image: ImageInput };

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: ContentPart[];
}

/** The three VITA state tokens, by meaning. Their strings are per model (config). */
export type StateToken = 'query' | 'noise' | 'text';
export const STATE_TOKENS: readonly StateToken[] = ['query', 'noise', 'text'];
/** The wire names the protocol uses for the decisions (`<1>`, `<2>`, `<3>`). */
export const STATE_TOKEN_LABEL: Record<StateToken, '<1>' | '<2>' | '<3>'> = {
  query: '<1>',
  noise: '<2>',
  text: '<3>',
};

export interface GenerateRequest {
  /** Conversation so far, oldest first; the last message is the query to answer. */
  messages: ChatMessage[];
  /** System instructions for this response (already merged from session + response). */
  instructions?: string;
  maxOutputTokens?: number;
  temperature?: number;
  /** Fires when the answer must stop: the generator returns within one decode step. */
  signal: AbortSignal;
}

export interface GenerationStats {
  /** Time from the call to the first text delta, ms. */
  firstTokenMs: number | null;
  tokens: number;
  /** Decode speed after the first token. */
  tokensPerSecond: number | null;
  /** Why it ended. */
  finishReason: 'stop' | 'length' | 'aborted';
  promptTokens?: number;
}

export type GenerationEvent =
  | { type: 'delta'; text: string }
  | { type: 'done'; stats: GenerationStats };

export interface MonitorRequest {
  /** The new stretch of audio to classify (absent for a pure text query). */
  segment?: AudioSegment;
  /** Its transcript when an ASR ran. */
  transcript?: string;
  /**
   * The end-of-turn layer asks whether the speaker paused mid-turn (`turns.endOfTurn` has
   * `monitor`): a monitor that can read a fourth state string answers `incomplete` too.
   */
  allowIncomplete?: boolean;
  /** Recent conversation, oldest first (the monitor needs context: is this addressed to me?). */
  history: ChatMessage[];
  signal?: AbortSignal;
}

/**
 * What a monitor can decide: a state token, or `incomplete` (`<4>`): the speaker paused mid-turn,
 * wait for the rest (only monitors prompted and configured for it say so; see the READMEs).
 */
export type MonitorOutcome = StateToken | 'incomplete';
/** Every outcome, in the order ties are broken (VITA answers unless it is sure). */
export const MONITOR_OUTCOMES: readonly MonitorOutcome[] = [...STATE_TOKENS, 'incomplete'];
export const MONITOR_OUTCOME_LABEL: Record<MonitorOutcome, '<1>' | '<2>' | '<3>' | '<4>'> = { ...STATE_TOKEN_LABEL, incomplete: '<4>' };

export interface MonitorDecision {
  /** argmax over `probabilities`. */
  token: MonitorOutcome;
  /** Sums to 1 over the three tokens (and `incomplete`, when the monitor reads it). */
  probabilities: Record<StateToken, number> & { incomplete?: number };
  elapsedMs: number;
}

/**
 * One model instance. VITA runs two of them; either can be the generator or the
 * monitor, and they swap roles on an interrupt.
 */
export interface ModelInstance {
  readonly id: string;
  /** Streams a reply. Must yield exactly one `done` last, also when aborted. */
  generate(request: GenerateRequest): AsyncIterable<GenerationEvent>;
  /** Classifies a new segment with the state-token distribution. */
  classify(request: MonitorRequest): Promise<MonitorDecision>;
  /** Bytes of memory this instance holds (weights it does not share, caches), when known. */
  memoryBytes?(): number | undefined;
  close(): Promise<void>;
}

export interface TranscribeRequest {
  segment: AudioSegment;
  language?: string;
  prompt?: string;
  signal?: AbortSignal;
}

export type TranscriptionEvent =
  | { type: 'delta'; text: string }
  | { type: 'done'; text: string; elapsedMs: number };

export interface SpeechRecognizer {
  readonly id: string;
  transcribe(request: TranscribeRequest): AsyncIterable<TranscriptionEvent>;
  close(): Promise<void>;
}

export interface SynthesizeRequest {
  text: string;
  voice?: string;
  /** 1 = normal speed. */
  speed?: number;
  signal?: AbortSignal;
}

/**
 * A piece of synthesized speech. `words` (when the TTS knows them): each word of the request text
 * with its start/end in ms from the request's first sample; a word may arrive in a later chunk than
 * its audio, and a last chunk may carry words and no samples.
 */
export interface SpeechChunk {
  samples: Float32Array;
  sampleRate: number;
  words?: { text: string; startMs: number; endMs: number }[];
}

export interface SpeechSynthesizer {
  readonly id: string;
  readonly voices: readonly string[];
  synthesize(request: SynthesizeRequest): AsyncIterable<SpeechChunk>;
  close(): Promise<void>;
}

export type Capability = 'generator' | 'monitor' | 'asr' | 'tts' | 'vision';

export interface CapabilityStatus {
  available: boolean;
  /** What backs it (e.g. `embedded:qwen2.5-0.5b`, `remote:http://engine:8000`, `scripted`). */
  backend?: string;
  /** Why it is not available. */
  reason?: string;
}

/**
 * An audio end-of-turn model (Smart Turn v3 layout): the probability that a speaker who has just
 * paused has finished their turn, from the front-end's log-mel features of the speech.
 */
export interface EndOfTurnModel {
  readonly id: string;
  /** Whether these features are the ones the model reads (preset and bins). */
  accepts(mel: MelFeatures): boolean;
  predict(mel: MelFeatures): Promise<{ probability: number; elapsedMs: number }>;
  close(): Promise<void>;
}

/** Everything the server gets from the model layer for all sessions. */
export interface ModelSet {
  /** Two instances for duplex operation, or null when no chat model is configured/loaded. */
  instances: readonly [ModelInstance, ModelInstance] | null;
  asr: SpeechRecognizer | null;
  tts: SpeechSynthesizer | null;
  /** Whether the generator accepts images. */
  vision: boolean;
  /** The audio end-of-turn model (config turns.modelPath), when one is loaded. */
  endOfTurn?: EndOfTurnModel | null;
  status(): Record<Capability, CapabilityStatus>;
  close(): Promise<void>;
}

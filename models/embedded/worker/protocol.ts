// Messages between the server thread and the inference worker (structured clone; no functions,
// no AbortSignals: an abort is a flag in shared memory plus an `abort` message).

import type { ChatMessage, GenerationEvent, MonitorDecision, TranscriptionEvent } from '../../types.js';
import type { ChatEngineOptions } from '../chat/chat-engine.js';
import type { WhisperOptions } from '../asr/whisper.js';
import type { SmartTurnOptions } from '../turn/smart-turn.js';

export interface WireSegment {
  samples: Float32Array;
  sampleRate: 16000;
  startMs: number;
  endMs: number;
  mel?: { preset: string; frames: number; bins: number; data: Float32Array };
}

export type ToWorker =
  | { type: 'load-chat'; id: number; options: ChatEngineOptions; instances: number }
  | { type: 'load-asr'; id: number; options: WhisperOptions }
  | { type: 'load-turn'; id: number; options: SmartTurnOptions }
  /** One end-of-turn model input (smartTurnInput's layout), transferred. */
  | { type: 'predict-turn'; id: number; input: Float32Array }
  | {
      type: 'generate';
      id: number;
      slot: number;
      instance: number;
      request: { messages: ChatMessage[]; instructions?: string; maxOutputTokens?: number; temperature?: number };
    }
  | { type: 'classify'; id: number; slot: number; instance: number; request: { transcript?: string; history: ChatMessage[]; segment?: WireSegment } }
  | { type: 'transcribe'; id: number; slot: number; request: { segment: WireSegment; language?: string; prompt?: string } }
  | { type: 'abort'; id: number }
  | { type: 'close'; id: number };

export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export interface ChatInfo {
  modelId: string;
  vision: boolean;
  stateTokens: readonly string[];
  weightsBytes: number;
}

export type FromWorker =
  | { type: 'loaded'; id: number; chat?: ChatInfo; asrId?: string; turnId?: string }
  | { type: 'turn-prediction'; id: number; probability: number }
  | { type: 'event'; id: number; event: GenerationEvent; memory?: number }
  | { type: 'decision'; id: number; decision: MonitorDecision; memory: number }
  | { type: 'asr-event'; id: number; event: TranscriptionEvent }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'closed'; id: number };

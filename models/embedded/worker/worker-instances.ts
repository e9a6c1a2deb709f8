// ModelInstance and SpeechRecognizer proxies for engines running in an inference worker.

import type {
  AudioSegment,
  ChatMessage,
  GenerateRequest,
  GenerationEvent,
  ModelInstance,
  MonitorDecision,
  MonitorRequest,
  SpeechRecognizer,
  TranscribeRequest,
  TranscriptionEvent,
} from '../../types.js';
import { AsyncQueue } from '../asr/async-queue.js';
import { errorFromWire, type InferenceWorker } from './worker-host.js';
import type { WireSegment } from './protocol.js';

function wireSegment(segment: AudioSegment, withSamples: boolean): WireSegment {
  return {
    samples: withSamples ? segment.samples : new Float32Array(0),
    sampleRate: 16000,
    startMs: segment.startMs,
    endMs: segment.endMs,
    ...(segment.mel && withSamples ? { mel: segment.mel } : {}),
  };
}

/** Chat models read audio parts through their transcripts: samples and features stay on this thread. */
function withoutAudio(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) =>
    m.content.some((p) => p.type === 'audio')
      ? { role: m.role, content: m.content.map((p) => (p.type === 'audio' ? { ...p, segment: { ...p.segment, samples: new Float32Array(0), mel: undefined } } : p)) }
      : m,
  );
}

/** Streams a worker request into an async iterable, aborting it when `signal` fires or the consumer stops early. */
async function* stream<E extends { type: string }>(
  worker: InferenceWorker,
  start: (handler: (event: E | Error, last: boolean) => void) => { id: number; slot: number | null },
  signal: AbortSignal | undefined,
): AsyncGenerator<E> {
  const queue = new AsyncQueue<E>();
  const { id, slot } = start((event, last) => {
    if (event instanceof Error) queue.fail(event);
    else {
      queue.push(event);
      if (last) queue.close();
    }
  });
  const onAbort = () => worker.abort(id, slot);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  let finished = false;
  try {
    for await (const event of queue) {
      if (event.type === 'done') finished = true;
      yield event;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) worker.abort(id, slot);
  }
}

export class WorkerChatInstance implements ModelInstance {
  private memory: number | undefined;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly worker: InferenceWorker,
    private readonly index: number,
    /** Called once on close (the worker stops when both instances have closed). */
    private readonly onClose?: () => Promise<void>,
  ) {}

  generate(request: GenerateRequest): AsyncIterable<GenerationEvent> {
    const { signal, messages, ...rest } = request;
    return stream<GenerationEvent>(
      this.worker,
      (emit) =>
        this.worker.send(
          { type: 'generate', instance: this.index, request: { ...rest, messages: withoutAudio(messages) }, slot: 0 },
          (m) => {
            if (m.type === 'error') emit(errorFromWire(m.error), true);
            else if (m.type === 'event') {
              if (m.memory !== undefined) this.memory = m.memory;
              emit(m.event, m.event.type === 'done');
              return m.event.type === 'done';
            } else return false;
            return true;
          },
          true,
          signal,
        ),
      signal,
    );
  }

  classify(request: MonitorRequest): Promise<MonitorDecision> {
    const { signal, segment, history, ...rest } = request;
    return new Promise((resolve, reject) => {
      const { id, slot } = this.worker.send(
        // A text monitor reads the transcript only: the samples stay on this thread.
        { type: 'classify', instance: this.index, slot: 0, request: { ...rest, history: withoutAudio(history), ...(segment ? { segment: wireSegment(segment, false) } : {}) } },
        (m) => {
          signal?.removeEventListener('abort', onAbort);
          if (m.type === 'error') reject(errorFromWire(m.error));
          else if (m.type === 'decision') {
            this.memory = m.memory;
            resolve(m.decision);
          } else return false;
          return true;
        },
        true,
        signal,
      );
      const onAbort = () => this.worker.abort(id, slot);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
    });
  }

  /** This instance's KV caches as of its last finished request (weights are shared: see the model set). */
  memoryBytes(): number | undefined {
    return this.memory;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onClose?.();
  }
}

export class WorkerRecognizer implements SpeechRecognizer {
  constructor(
    readonly id: string,
    private readonly worker: InferenceWorker,
  ) {}

  transcribe(request: TranscribeRequest): AsyncIterable<TranscriptionEvent> {
    const { signal, segment, ...rest } = request;
    return stream<TranscriptionEvent>(
      this.worker,
      (emit) =>
        this.worker.send(
          { type: 'transcribe', slot: 0, request: { ...rest, segment: wireSegment(segment, true) } },
          (m) => {
            if (m.type === 'error') emit(errorFromWire(m.error), true);
            else if (m.type === 'asr-event') {
              emit(m.event, m.event.type === 'done');
              return m.event.type === 'done';
            } else return false;
            return true;
          },
          true,
          signal,
        ),
      signal,
    );
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}

// The inference thread. onnxruntime-node runs a session synchronously on the calling thread
// (inside a setImmediate), so a prefill on the server thread would freeze every session's
// audio for its whole duration. Here the engines run on their own thread; the server thread
// only passes messages. One worker hosts one model: generator and monitor share its weights.

import { parentPort, workerData } from 'node:worker_threads';
import { ChatEngine } from '../chat/chat-engine.js';
import { EmbeddedChatInstance } from '../chat/chat-instance.js';
import { WhisperRecognizer } from '../asr/whisper.js';
import { slotSignal } from './shared-abort.js';
import type { FromWorker, ToWorker, WireError, WireSegment } from './protocol.js';
import type { AudioSegment } from '../../types.js';
import type { SmartTurnModel } from '../turn/smart-turn.js';

const COALESCE_MS = 4;
const port = parentPort!;
const abortBuffer = (workerData as { abortBuffer: SharedArrayBuffer }).abortBuffer;
const controllers = new Map<number, AbortController>();
let engine: ChatEngine | null = null;
let instances: EmbeddedChatInstance[] = [];
let asr: WhisperRecognizer | null = null;
let turn: SmartTurnModel | null = null;

function send(message: FromWorker): void {
  port.postMessage(message);
}

function wireError(err: unknown): WireError {
  const e = err as { name?: string; message?: string; code?: unknown };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

function segmentOf(wire: WireSegment): AudioSegment {
  return { samples: wire.samples, sampleRate: 16000, startMs: wire.startMs, endMs: wire.endMs, ...(wire.mel ? { mel: wire.mel } : {}) };
}

function signalFor(id: number, slot: number): AbortSignal {
  const controller = new AbortController();
  controllers.set(id, controller);
  return slotSignal(abortBuffer, slot, controller);
}

function instance(index: number): EmbeddedChatInstance {
  const found = instances[index];
  if (!found) throw new Error(`no chat instance ${index} in this worker`);
  return found;
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'load-chat': {
      engine = await ChatEngine.load(msg.options);
      instances = Array.from({ length: msg.instances }, (_, i) => new EmbeddedChatInstance(`${engine!.id}#${i}`, engine!));
      send({
        type: 'loaded',
        id: msg.id,
        chat: { modelId: engine.id, vision: engine.vision, stateTokens: engine.stateTokens.strings, weightsBytes: engine.weightsBytes },
      });
      return;
    }
    case 'load-asr': {
      asr = await WhisperRecognizer.load(msg.options);
      send({ type: 'loaded', id: msg.id, asrId: asr.id });
      return;
    }
    case 'load-turn': {
      // Loaded on demand: a chat or ASR worker never loads it.
      const { SmartTurnModel } = await import('../turn/smart-turn.js');
      turn = await SmartTurnModel.load(msg.options);
      send({ type: 'loaded', id: msg.id, turnId: turn.id });
      return;
    }
    case 'predict-turn': {
      // Calls wait their turn in onnxruntime (each run holds this thread), in arrival order.
      if (!turn) throw new Error('no end-of-turn model loaded in this worker');
      send({ type: 'turn-prediction', id: msg.id, probability: await turn.predictInput(msg.input) });
      return;
    }
    case 'generate': {
      const target = instance(msg.instance);
      const signal = signalFor(msg.id, msg.slot);
      // Deltas that come faster than one per COALESCE_MS go out together: a message per token
      // costs more than a decode step of a very small model. Slower models are unaffected.
      let pending = '';
      let lastSent = -Infinity;
      for await (const event of target.generate({ ...msg.request, signal })) {
        if (event.type === 'delta') {
          pending += event.text;
          const now = performance.now();
          if (now - lastSent < COALESCE_MS) continue;
          lastSent = now;
          send({ type: 'event', id: msg.id, event: { type: 'delta', text: pending } });
          pending = '';
          continue;
        }
        if (pending && event.stats.finishReason !== 'aborted') send({ type: 'event', id: msg.id, event: { type: 'delta', text: pending } });
        send({ type: 'event', id: msg.id, event, memory: target.memoryBytes() });
      }
      return;
    }
    case 'classify': {
      const target = instance(msg.instance);
      const signal = signalFor(msg.id, msg.slot);
      const { segment, ...rest } = msg.request;
      const decision = await target.classify({ ...rest, ...(segment ? { segment: segmentOf(segment) } : {}), signal });
      send({ type: 'decision', id: msg.id, decision, memory: target.memoryBytes() });
      return;
    }
    case 'transcribe': {
      if (!asr) throw new Error('no speech recognizer loaded in this worker');
      const signal = signalFor(msg.id, msg.slot);
      const { segment, ...rest } = msg.request;
      for await (const event of asr.transcribe({ ...rest, segment: segmentOf(segment), signal })) send({ type: 'asr-event', id: msg.id, event });
      return;
    }
    case 'abort':
      controllers.get(msg.id)?.abort();
      return;
    case 'close':
      await engine?.close();
      await asr?.close();
      await turn?.close();
      send({ type: 'closed', id: msg.id });
      return;
  }
}

port.on('message', (msg: ToWorker) => {
  handle(msg)
    .catch((err: unknown) => send({ type: 'error', id: msg.id, error: wireError(err) }))
    .finally(() => {
      if (msg.type !== 'abort') controllers.delete(msg.id);
    });
});

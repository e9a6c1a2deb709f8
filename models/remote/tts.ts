// Speech synthesis through `POST /audio/speech` with `response_format: "pcm"`
// (OpenAI: raw 16-bit little-endian mono at 24 kHz, sent chunked as it is
// made). Each body chunk becomes a SpeechChunk the moment it arrives. Like
// generate(), the stream is retried only before any audio was handed on; abort
// destroys the socket and ends the iteration quietly.

import type { SpeechChunk, SpeechSynthesizer, SynthesizeRequest } from '../types.js';
import type { EngineClient } from './engine-client.js';
import type { EngineResponse } from './engine-response.js';
import { isRemoteEngineError } from './errors.js';
import { Pcm16StreamDecoder } from './wav.js';

export interface RemoteTtsOptions {
  defaultVoice: string;
  voices?: readonly string[];
  /** Rate of the engine's raw `pcm` output (OpenAI: 24000). */
  sampleRate?: number;
}

export class RemoteSpeechSynthesizer implements SpeechSynthesizer {
  readonly id: string;
  readonly voices: readonly string[];
  readonly #client: EngineClient;
  readonly #defaultVoice: string;
  readonly #sampleRate: number;

  constructor(client: EngineClient, options: RemoteTtsOptions) {
    this.#client = client;
    this.#defaultVoice = options.defaultVoice;
    this.#sampleRate = options.sampleRate ?? 24000;
    this.voices = options.voices ?? [options.defaultVoice];
    this.id = `remote:${client.baseUrl}#${client.model}`;
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<SpeechChunk> {
    const { signal } = request;
    if (signal?.aborted || request.text.trim() === '') return;
    const body = JSON.stringify({
      model: this.#client.model,
      input: request.text,
      voice: request.voice ?? this.#defaultVoice,
      response_format: 'pcm',
      ...(request.speed === undefined || request.speed === 1 ? {} : { speed: request.speed }),
    });
    const budget = { retriesUsed: 0 };
    let sent = 0;
    for (;;) {
      let response: EngineResponse | undefined;
      try {
        response = await this.#client.open({ role: 'tts', method: 'POST', path: '/audio/speech', body, accept: 'audio/pcm, audio/*', signal }, budget);
        if (response.contentType.includes('json') || response.contentType.startsWith('text/')) {
          throw response.protocolError(`expected audio, got ${response.contentType}`);
        }
        const decoder = new Pcm16StreamDecoder(this.#sampleRate);
        try {
          for await (const chunk of response.res as AsyncIterable<Buffer>) {
            response.markFirstToken();
            response.touch();
            let samples: Float32Array;
            try {
              samples = decoder.push(chunk);
            } catch (err) {
              return response.fail(response.protocolError((err as Error).message, err));
            }
            if (samples.length === 0) continue;
            if (signal?.aborted) return;
            sent++;
            yield { samples, sampleRate: decoder.sampleRate };
          }
        } catch (err) {
          throw response.readError(err);
        }
        if (!response.res.complete) throw response.readError();
        return;
      } catch (err) {
        response?.close(); // free the slot before any backoff wait
        if (signal?.aborted) return;
        if (!isRemoteEngineError(err)) throw err;
        err.outputStarted = sent > 0;
        err.attempts = budget.retriesUsed + 1;
        let again = false;
        try {
          again = await this.#client.backoff(err, budget, signal);
        } catch {
          return; // aborted while waiting
        }
        if (!again) throw err;
      } finally {
        response?.close();
      }
    }
  }

  async close(): Promise<void> {}
}

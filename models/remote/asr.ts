// Speech recognition through `POST /audio/transcriptions` (OpenAI, vLLM with a
// Whisper-class model, speaches/faster-whisper-server): the 16 kHz segment is
// sent as a 16-bit WAV file in a multipart form; the answer is `{"text": …}`
// (or plain text from engines that ignore response_format).

import type { SpeechRecognizer, TranscribeRequest, TranscriptionEvent } from '../types.js';
import type { EngineClient } from './engine-client.js';
import { encodeWav16 } from './wav.js';

type FormField = { name: string; value: string } | { name: string; filename: string; contentType: string; data: Buffer };

/** multipart/form-data body; a random 30-character boundary makes a collision with the audio bytes vanishingly unlikely. */
export function multipartBody(fields: FormField[]): { body: Buffer; contentType: string } {
  const boundary = `----duet${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const parts: Buffer[] = [];
  for (const field of fields) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${field.name}"`;
    if ('data' in field) {
      head += `; filename="${field.filename}"\r\nContent-Type: ${field.contentType}\r\n\r\n`;
      parts.push(Buffer.from(head, 'utf8'), field.data, Buffer.from('\r\n'));
    } else {
      parts.push(Buffer.from(`${head}\r\n\r\n${field.value}\r\n`, 'utf8'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export class RemoteSpeechRecognizer implements SpeechRecognizer {
  readonly id: string;
  readonly #client: EngineClient;

  constructor(client: EngineClient) {
    this.#client = client;
    this.id = `remote:${client.baseUrl}#${client.model}`;
  }

  async *transcribe(request: TranscribeRequest): AsyncIterable<TranscriptionEvent> {
    const startedAt = performance.now();
    const fields: FormField[] = [
      { name: 'file', filename: 'segment.wav', contentType: 'audio/wav', data: encodeWav16(request.segment.samples, request.segment.sampleRate) },
      { name: 'model', value: this.#client.model },
      { name: 'response_format', value: 'json' },
    ];
    if (request.language) fields.push({ name: 'language', value: request.language });
    if (request.prompt) fields.push({ name: 'prompt', value: request.prompt });
    const { body, contentType } = multipartBody(fields);
    const text = await this.#client.request(
      { role: 'asr', method: 'POST', path: '/audio/transcriptions', body, contentType, signal: request.signal },
      (raw, response) => {
        if (!response.contentType.includes('json')) return raw.trim();
        let parsed: { text?: unknown };
        try {
          parsed = JSON.parse(raw) as typeof parsed;
        } catch (err) {
          throw response.protocolError('transcription body is not JSON', err);
        }
        if (typeof parsed?.text !== 'string') throw response.protocolError('transcription without `text`');
        return parsed.text.trim();
      },
    );
    if (text !== '') yield { type: 'delta', text };
    yield { type: 'done', text, elapsedMs: performance.now() - startedAt };
  }

  async close(): Promise<void> {}
}

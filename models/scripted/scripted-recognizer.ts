import type { SpeechRecognizer, TranscribeRequest, TranscriptionEvent } from '../types.js';

/** TESTING ONLY: returns scripted transcripts in order (the last repeats). */
export class ScriptedRecognizer implements SpeechRecognizer {
  readonly id = 'scripted-asr';
  private next = 0;

  constructor(private readonly transcripts: readonly string[]) {}

  async *transcribe(_request: TranscribeRequest): AsyncIterable<TranscriptionEvent> {
    const text = this.transcripts[Math.min(this.next, this.transcripts.length - 1)] ?? '';
    this.next += 1;
    yield { type: 'delta', text };
    yield { type: 'done', text, elapsedMs: 0 };
  }

  async close(): Promise<void> {}
}

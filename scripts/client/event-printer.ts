/** A server event as received (JSON object with a string `type`). */
export type ServerEvent = Record<string, any> & { type: string };

export interface PrinterOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Prints server events for a person: one line per happening, answers streamed inline. */
export class EventPrinter {
  private inline = false;

  constructor(private readonly io: PrinterOutput) {}

  print(e: ServerEvent): void {
    switch (e.type) {
      case 'session.created':
        return this.line(`[session] ${e.session.id} connected; ${describeCapabilities(e.session.duet?.capabilities ?? {})}`);
      case 'session.updated': {
        const input = e.session.audio.input.format;
        return this.line(`[session] answers in ${e.session.output_modalities.join('+')}, input ${input.type}${input.rate ? ` ${input.rate} Hz` : ''}`);
      }
      case 'input_audio_buffer.speech_started':
        return this.line(`[you] speaking (from ${seconds(e.audio_start_ms)})`);
      case 'input_audio_buffer.speech_stopped':
        return this.line(`[you] stopped at ${seconds(e.audio_end_ms)}`);
      case 'conversation.item.input_audio_transcription.completed':
        return this.line(`[you] "${e.transcript}"`);
      case 'duet.monitor.state': {
        const p = e.probabilities?.[e.state];
        const label = e.state === '<1>' ? 'query' : e.state === '<2>' ? 'noise' : e.state === '<4>' ? 'incomplete' : 'text query';
        const why = e.reason ? `, ${e.reason}` : '';
        return this.line(`[monitor] ${e.state} ${label} (p ${p?.toFixed(2) ?? '?'}, ${Math.round(e.elapsed_ms)} ms${why}) -> ${e.action}`);
      }
      case 'duet.turn.held':
        return this.line(`[you] paused mid-turn? waiting up to ${seconds(e.hold_ms)} for the rest (${e.source}, p complete ${Number(e.probability).toFixed(2)})`);
      case 'duet.turn.merged':
        return this.line(`[you] one turn${e.transcript ? `: "${e.transcript}"` : ''} (${e.merged_item_ids.length + 1} pieces merged)`);
      case 'duet.response.ducked':
        return this.line(`[answer] lowered ${Math.abs(Number(e.gain_db))} dB: ${e.tentative ? 'maybe you started speaking' : 'you are speaking'}`);
      case 'duet.response.paused':
        return this.line(e.tentative ? '[answer] paused: maybe you started speaking' : '[answer] paused: you started speaking');
      case 'duet.response.resumed':
        return this.line(`[answer] resumed (${e.reason})`);
      case 'duet.output_audio.clear':
        return this.line(`[answer] interrupted: drop ${Math.round(e.stale_audio_ms)} ms of audio sent ahead`);
      case 'response.output_text.delta':
      case 'response.output_audio_transcript.delta':
        if (!this.inline) this.io.out('assistant: ');
        this.inline = true;
        return this.io.out(e.delta);
      case 'response.done':
        return this.line(describeDone(e.response));
      case 'conversation.item.truncated':
        return this.line(`[answer] truncated to the ${seconds(e.audio_end_ms)} heard`);
      case 'duet.session.closing':
        return this.line(`[server] closing (${e.reason}) within ${seconds(e.deadline_ms)}`);
      case 'error':
        this.endInline();
        return this.io.err(`[error] ${e.error.code}: ${e.error.message}\n`);
    }
  }

  /** Ends a streamed answer line, if one is open. */
  endInline(): void {
    if (this.inline) this.io.out('\n');
    this.inline = false;
  }

  line(text: string): void {
    this.endInline();
    this.io.out(`${text}\n`);
  }
}

function describeCapabilities(caps: Record<string, { available: boolean; backend?: string; reason?: string }>): string {
  const ok = Object.entries(caps).filter(([, c]) => c.available).map(([name, c]) => `${name} (${c.backend ?? 'yes'})`);
  const missing = Object.entries(caps).filter(([, c]) => !c.available).map(([name]) => name);
  return `models: ${ok.join(', ') || 'none'}${missing.length ? `; missing: ${missing.join(', ')}` : ''}`;
}

function describeDone(r: ServerEvent): string {
  const details = r.status_details;
  const stats = r.duet
    ? `first token ${r.duet.first_token_ms === null ? '-' : `${Math.round(r.duet.first_token_ms)} ms`}, ${r.duet.tokens_per_second === null ? '-' : r.duet.tokens_per_second.toFixed(1)} tok/s`
    : '';
  if (r.status === 'completed') return `[answer] completed${stats ? ` (${stats})` : ''}`;
  if (r.status === 'failed') return `[answer] failed: ${details?.error?.code ?? '?'}: ${details?.error?.message ?? ''}`;
  return `[answer] ${r.status}${details?.reason ? ` (${details.reason})` : ''}`;
}

import type { ClientEvent, ResponseParams } from '../../../protocol/schema/client-events.js';
import type { AudioFormat } from '../../../protocol/schema/session.js';
import { ProtocolError } from '../../../protocol/errors.js';
import type { SessionContext } from '../session-context.js';

export function handleResponseCreate(ctx: SessionContext, event: ClientEvent<'response.create'>): void {
  const r = event.response ?? {};
  refuseUnsupported(ctx, r);
  if (!ctx.models.instances) throw new ProtocolError('model_unavailable', 'No chat model is loaded, so no response can be generated; see /readyz.');
  const modalities = r.output_modalities ?? r.modalities;
  const maxTokens = r.max_output_tokens ?? r.max_response_output_tokens;
  ctx.scheduler.createResponse({
    ...(r.instructions !== undefined ? { instructions: r.instructions } : {}),
    ...(modalities ? { modality: modalities.includes('audio') ? 'audio' : 'text' } : {}),
    ...(typeof maxTokens === 'number' ? { maxOutputTokens: maxTokens } : {}),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
  });
}

export function handleResponseCancel(ctx: SessionContext): void {
  if (!ctx.scheduler.cancelResponse()) {
    throw new ProtocolError('response_cancel_not_active', 'Cancellation failed: no active response found.');
  }
}

/**
 * response.create parameters OpenAI honours that Duet cannot: refused with a clear error rather
 * than answered in a way the client did not ask for. (`metadata`, `tools`, `tool_choice`,
 * `parallel_tool_calls`, `reasoning` and a per-response `voice` are accepted and not acted on.)
 */
function refuseUnsupported(ctx: SessionContext, r: ResponseParams): void {
  if (r.conversation !== undefined && r.conversation !== 'auto') {
    throw new ProtocolError('unsupported_value', `Out-of-band responses (conversation: '${r.conversation}') are not supported: Duet answers in the session's one conversation.`, 'response.conversation');
  }
  if (r.input !== undefined) {
    throw new ProtocolError('unsupported_value', 'A custom response context (response.input) is not supported: add items with conversation.item.create.', 'response.input');
  }
  if (r.prompt) throw new ProtocolError('unsupported_value', 'Stored prompts (response.prompt.id) are not supported by Duet; send the text as `instructions`.', 'response.prompt');
  const format = r.audio?.output?.format;
  if (format && !sameFormat(format, ctx.settings.outputFormat)) {
    throw new ProtocolError('unsupported_value', 'A per-response output audio format is not supported; change session.audio.output.format.', 'response.audio.output.format');
  }
}

function sameFormat(a: AudioFormat, b: AudioFormat): boolean {
  const rate = (f: AudioFormat) => (f.type === 'audio/pcm' ? (f.rate ?? 24000) : 8000);
  return a.type === b.type && rate(a) === rate(b);
}

/** OpenAI sends `output_audio_buffer.cleared` for this on WebRTC/SIP only; over a WebSocket the client holds the buffer. */
export function handleOutputAudioBufferClear(): void {
  throw new ProtocolError(
    'unsupported_value',
    'output_audio_buffer.clear is for WebRTC/SIP connections; over a WebSocket the client holds the audio buffer: send response.cancel (Duet sends at most voice.leadMs ahead of real time) and drop what it has buffered.',
    'type',
  );
}

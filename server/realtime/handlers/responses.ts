import type { ClientEvent } from '../../../protocol/schema/client-events.js';
import { ProtocolError } from '../../../protocol/errors.js';
import type { SessionContext } from '../session-context.js';

export function handleResponseCreate(ctx: SessionContext, event: ClientEvent<'response.create'>): void {
  if (!ctx.models.instances) throw new ProtocolError('model_unavailable', 'No chat model is loaded, so no response can be generated; see /readyz.');
  const r = event.response ?? {};
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

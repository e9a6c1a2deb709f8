import type { ClientEvent } from '../../../protocol/schema/client-events.js';
import { ProtocolError } from '../../../protocol/errors.js';
import { applySessionUpdate, toSessionObject } from '../session-settings.js';
import type { SessionContext } from '../session-context.js';

export function handleSessionUpdate(ctx: SessionContext, event: ClientEvent<'session.update'>): void {
  const next = applySessionUpdate(ctx.settings, event.session, ctx.models.tts?.voices ?? null);
  if (next.transcription !== null && ctx.models.asr === null && ctx.settings.transcription === null) {
    throw new ProtocolError('model_unavailable', 'Input transcription needs a speech recognizer (models.asr); none is loaded.', 'session.audio.input.transcription');
  }
  const formatChanged = JSON.stringify(next.inputFormat) !== JSON.stringify(ctx.settings.inputFormat);
  const turnChanged = JSON.stringify(next.turnDetection) !== JSON.stringify(ctx.settings.turnDetection);
  if (formatChanged) ctx.audio.setFormat(next.inputFormat);
  ctx.settings = next;
  if (turnChanged) ctx.audio.setTurnDetection(next.turnDetection);
  ctx.outbound.send({ type: 'session.updated', session: toSessionObject(ctx.id, ctx.settings, ctx.models.status()) });
}

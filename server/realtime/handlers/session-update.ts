import type { ClientEvent } from '../../../protocol/schema/client-events.js';
import { applySessionUpdate, toSessionObject } from '../session-settings.js';
import type { SessionContext } from '../session-context.js';

export function handleSessionUpdate(ctx: SessionContext, event: ClientEvent<'session.update'>): void {
  const next = applySessionUpdate(ctx.settings, event.session, ctx.models.tts?.voices ?? null);
  // Transcription without a speech recognizer is accepted: session.duet.capabilities.asr says no
  // transcripts will come (see toSessionObject), rather than an error OpenAI clients treat as fatal.
  const formatChanged = JSON.stringify(next.inputFormat) !== JSON.stringify(ctx.settings.inputFormat);
  const turnChanged = JSON.stringify(next.turnDetection) !== JSON.stringify(ctx.settings.turnDetection);
  if (formatChanged) ctx.audio.setFormat(next.inputFormat);
  ctx.settings = next;
  if (turnChanged) ctx.audio.setTurnDetection(next.turnDetection);
  ctx.outbound.send({ type: 'session.updated', session: toSessionObject(ctx.id, ctx.settings, ctx.models.status()) });
}

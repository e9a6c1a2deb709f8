import type { ClientEvent } from '../../../protocol/schema/client-events.js';
import { decodeBase64 } from '../base64.js';
import type { SessionContext } from '../session-context.js';

export function handleAppend(ctx: SessionContext, event: ClientEvent<'input_audio_buffer.append'>): void {
  ctx.audio.append(decodeBase64(event.audio, 'audio'));
}

export function handleCommit(ctx: SessionContext): void {
  ctx.audio.commit();
}

export function handleClear(ctx: SessionContext): void {
  ctx.audio.clear();
}

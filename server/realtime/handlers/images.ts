import type { ClientEvent } from '../../../protocol/schema/client-events.js';
import { ProtocolError } from '../../../protocol/errors.js';
import type { SessionContext } from '../session-context.js';

export async function handleImageAppend(ctx: SessionContext, event: ClientEvent<'duet.input_image.append'>): Promise<void> {
  if (event.binary) {
    if (event.image !== undefined) throw new ProtocolError('invalid_value', 'Send either `image` or `binary: true`, not both.', 'image');
    ctx.images.expectBinary(event.mime_type);
    return;
  }
  if (event.image === undefined) throw new ProtocolError('invalid_value', '`image` (base64 or data URL) or `binary: true` is required.', 'image');
  await ctx.images.appendFrame(event.image, event.mime_type);
}

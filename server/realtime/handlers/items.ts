import type { ClientEvent } from '../../../protocol/schema/client-events.js';
import { ProtocolError } from '../../../protocol/errors.js';
import { INPUT_IMAGE_URL, itemToWire, type StoredItem, type StoredPart } from '../../conversation/conversation.js';
import { newId } from '../../ids.js';
import { decodeBase64 } from '../base64.js';
import type { SessionContext } from '../session-context.js';

export async function handleItemCreate(ctx: SessionContext, event: ClientEvent<'conversation.item.create'>): Promise<void> {
  const { item } = event;
  const parts: StoredPart[] = [];
  for (const [index, content] of item.content.entries()) {
    const param = `item.content.${index}`;
    if (content.type === 'input_text') parts.push({ type: 'input_text', text: content.text });
    else if (content.type === 'output_text' || content.type === 'text') parts.push({ type: 'output_text', text: content.text });
    else if (content.type === 'input_image') {
      const image = await ctx.images.decode(content.image_url, `${param}.image_url`);
      parts.push({ type: 'input_image', imageUrl: INPUT_IMAGE_URL, image });
    } else if (content.type === 'input_audio') {
      if (content.audio !== undefined) decodeBase64(content.audio, `${param}.audio`); // validated; items carry transcripts to the models
      parts.push({ type: 'input_audio', transcript: content.transcript ?? null, segment: null });
    }
  }
  if (item.role !== 'user' && parts.some((p) => p.type === 'input_image' || p.type === 'input_audio')) {
    throw new ProtocolError('invalid_value', `A ${item.role} item may hold text only.`, 'item.content');
  }
  const stored: StoredItem = { id: item.id ?? newId('item'), role: item.role, status: 'completed', parts };
  // OpenAI's sentinel "root" places the item first (the Agents SDK sends it when it rewrites history).
  const previousId = event.previous_item_id === 'root' && !ctx.conversation.get('root') ? null : event.previous_item_id;
  const previous = ctx.conversation.add(stored, previousId);
  ctx.outbound.send({ type: 'conversation.item.added', previous_item_id: previous, item: itemToWire(stored) });
  ctx.outbound.send({ type: 'conversation.item.done', previous_item_id: previous, item: itemToWire(stored) });
}

export function handleItemTruncate(ctx: SessionContext, event: ClientEvent<'conversation.item.truncate'>): void {
  const item = ctx.conversation.require(event.item_id);
  const part = item.parts[event.content_index];
  if (item.role !== 'assistant' || (part && part.type !== 'output_audio') || (!part && item.status !== 'in_progress')) {
    throw new ProtocolError('invalid_truncate', 'Only the audio content of an assistant message can be truncated.', 'content_index');
  }
  if (!ctx.scheduler.truncate(event.item_id, event.audio_end_ms)) {
    throw new ProtocolError('invalid_truncate', 'This item has no audio left to truncate (too old, or not an audio answer).', 'item_id');
  }
  ctx.outbound.send({ type: 'conversation.item.truncated', item_id: event.item_id, content_index: event.content_index, audio_end_ms: event.audio_end_ms });
}

export function handleItemDelete(ctx: SessionContext, event: ClientEvent<'conversation.item.delete'>): void {
  ctx.conversation.delete(event.item_id);
  ctx.outbound.send({ type: 'conversation.item.deleted', item_id: event.item_id });
}

/** GA `conversation.item.retrieve`: the item as stored now (OpenAI clients re-read items after truncate and transcription). */
export function handleItemRetrieve(ctx: SessionContext, event: ClientEvent<'conversation.item.retrieve'>): void {
  const item = ctx.conversation.require(event.item_id);
  ctx.outbound.send({ type: 'conversation.item.retrieved', item: itemToWire(item) });
}

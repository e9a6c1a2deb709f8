import type { Item, ItemContent } from '../../protocol/schema/items.js';
import type { AudioSegment, ChatMessage, ContentPart, ImageInput, Role } from '../../models/types.js';
import { ProtocolError } from '../../protocol/errors.js';

export type StoredPart =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; imageUrl: string; image: ImageInput }
  | { type: 'input_audio'; transcript: string | null; segment: AudioSegment | null }
  | { type: 'output_text'; text: string }
  | { type: 'output_audio'; transcript: string };

export interface StoredItem {
  id: string;
  role: Role;
  status: 'completed' | 'in_progress' | 'incomplete';
  parts: StoredPart[];
}

/** Bounds that keep a long session's memory flat. */
const MAX_ITEMS = 256;
const MAX_ITEMS_WITH_AUDIO = 8;

/** One session's conversation (never shared across sessions, unlike VITA). */
export class Conversation {
  private readonly items: StoredItem[] = [];

  get length(): number {
    return this.items.length;
  }

  lastId(): string | null {
    return this.items.at(-1)?.id ?? null;
  }

  get(id: string): StoredItem | undefined {
    return this.items.find((i) => i.id === id);
  }

  require(id: string, param = 'item_id'): StoredItem {
    const item = this.get(id);
    if (!item) throw new ProtocolError('item_not_found', `Item '${id}' does not exist.`, param);
    return item;
  }

  /** Inserts after `previousId` (null: at the start; undefined: at the end). Returns the previous item's id. */
  add(item: StoredItem, previousId?: string | null): string | null {
    if (this.get(item.id)) throw new ProtocolError('invalid_value', `Item id '${item.id}' already exists.`, 'item.id');
    let index = this.items.length;
    if (previousId === null) index = 0;
    else if (previousId !== undefined) index = this.items.indexOf(this.require(previousId, 'previous_item_id')) + 1;
    this.items.splice(index, 0, item);
    this.enforceBounds();
    return index > 0 ? this.items[index - 1]!.id : null;
  }

  delete(id: string): void {
    const item = this.require(id);
    this.items.splice(this.items.indexOf(item), 1);
  }

  private enforceBounds(): void {
    if (this.items.length > MAX_ITEMS) this.items.splice(0, this.items.length - MAX_ITEMS);
    let withAudio = 0;
    for (let i = this.items.length - 1; i >= 0; i--) {
      for (const part of this.items[i]!.parts) {
        if (part.type === 'input_audio' && part.segment) {
          withAudio += 1;
          if (withAudio > MAX_ITEMS_WITH_AUDIO) part.segment = null; // keep the transcript, free the samples
        }
      }
    }
  }

  /** Model-facing history, oldest first. Images are kept only in the last `keepImagesInLast` user messages (VITA drops them from history). */
  toMessages(options: { lastItems?: number; keepImagesInLast?: number; exclude?: ReadonlySet<string> } = {}): ChatMessage[] {
    const kept = options.exclude ? this.items.filter((i) => !options.exclude!.has(i.id)) : this.items;
    const source = options.lastItems ? kept.slice(-options.lastItems) : kept;
    const keepImages = options.keepImagesInLast ?? 1;
    let userSeen = 0;
    const out: ChatMessage[] = [];
    for (let i = source.length - 1; i >= 0; i--) {
      const item = source[i]!;
      if (item.role === 'user') userSeen += 1;
      const content: ContentPart[] = [];
      for (const part of item.parts) {
        if (part.type === 'input_text' || part.type === 'output_text') content.push({ type: 'text', text: part.text });
        else if (part.type === 'output_audio') content.push({ type: 'text', text: part.transcript });
        else if (part.type === 'input_image') {
          if (userSeen <= keepImages) content.push({ type: 'image', image: part.image });
        } else if (part.segment) content.push({ type: 'audio', segment: part.segment, ...(part.transcript ? { transcript: part.transcript } : {}) });
        else if (part.transcript) content.push({ type: 'text', text: part.transcript });
      }
      if (content.length > 0) out.push({ role: item.role, content });
    }
    return out.reverse();
  }
}

export function partToWire(part: StoredPart): ItemContent {
  switch (part.type) {
    case 'input_text':
      return { type: 'input_text', text: part.text };
    case 'input_image':
      return { type: 'input_image', image_url: part.imageUrl };
    case 'input_audio':
      return { type: 'input_audio', transcript: part.transcript };
    case 'output_text':
      return { type: 'output_text', text: part.text };
    case 'output_audio':
      return { type: 'output_audio', transcript: part.transcript };
  }
}

export function itemToWire(item: StoredItem): Item {
  return { id: item.id, object: 'realtime.item', type: 'message', role: item.role, status: item.status, content: item.parts.map(partToWire) };
}

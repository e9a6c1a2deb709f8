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

/**
 * How an image the client sent inside an item appears in the items sent back (and is stored):
 * by reference, never echoed (OpenAI does not echo image data either). Camera frames use
 * CAMERA_FRAME_URL (audio-input.ts) the same way.
 */
export const INPUT_IMAGE_URL = 'duet:input-image';

/** Bounds that keep a long session's memory flat. */
const MAX_ITEMS = 256;
const MAX_ITEMS_WITH_AUDIO = 8;
/**
 * Items added last may still change size (an answer streaming in, a transcript arriving, a
 * truncate); these are measured again before each add. Older ones keep the size they were counted at.
 */
const REMEASURED_ITEMS = 8;

/** Bytes held by every conversation of one server: admission control reads it. */
export class HeldBytes {
  total = 0;
  constructor(
    readonly limit: number,
    /** Room a new session must find: one full conversation (limits.maxSessionHeldBytes). */
    private readonly perSession = 0,
  ) {}

  /** No room for one more full conversation: new sessions are refused. */
  get full(): boolean {
    return this.total + this.perSession > this.limit;
  }
}

export interface ConversationLimits {
  /** Most bytes this conversation may hold (limits.maxSessionHeldBytes). */
  maxBytes: number;
  /** The server-wide account this conversation is part of. */
  server: HeldBytes;
}

/** What a part holds, in bytes: strings at 2 bytes a character (UTF-16), images and audio as stored. */
function partBytes(part: StoredPart): number {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return part.text.length * 2;
    case 'output_audio':
      return part.transcript.length * 2;
    case 'input_image':
      return part.image.bytes.byteLength + part.imageUrl.length * 2;
    case 'input_audio': {
      const segment = part.segment;
      const audio = segment ? segment.samples.byteLength + (segment.mel?.data.byteLength ?? 0) : 0;
      return (part.transcript?.length ?? 0) * 2 + audio;
    }
  }
}

function itemBytes(item: StoredItem): number {
  let bytes = 0;
  for (const part of item.parts) bytes += partBytes(part);
  return bytes;
}

/**
 * One session's conversation (never shared across sessions, unlike VITA). Bounded in items and in
 * bytes: past either bound the oldest items are dropped (a rolling window, as VITA keeps only
 * recent turns); the bytes are counted as items come and go, never by walking the whole history.
 */
export class Conversation {
  private readonly items: StoredItem[] = [];
  /** Bytes each item was counted at. */
  private readonly sizes = new Map<StoredItem, number>();
  private readonly recent: StoredItem[] = [];
  private held = 0;

  constructor(private readonly limits: ConversationLimits = { maxBytes: Number.POSITIVE_INFINITY, server: new HeldBytes(Number.POSITIVE_INFINITY) }) {}

  get length(): number {
    return this.items.length;
  }

  /** Bytes this conversation holds (as last counted). */
  get heldBytes(): number {
    this.remeasureRecent();
    return this.held;
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

  /**
   * Inserts after `previousId` (null: at the start; undefined: at the end). Returns the previous
   * item's id. Drops the oldest items to stay within the byte bounds; throws conversation_too_large
   * (and adds nothing) when the item cannot fit even then.
   */
  add(item: StoredItem, previousId?: string | null): string | null {
    if (this.get(item.id)) throw new ProtocolError('invalid_value', `Item id '${item.id}' already exists.`, 'item.id');
    let index = this.items.length;
    if (previousId === null) index = 0;
    else if (previousId !== undefined) index = this.items.indexOf(this.require(previousId, 'previous_item_id')) + 1;
    this.remeasureRecent();
    const size = itemBytes(item);
    const { maxBytes, server } = this.limits;
    if (size > maxBytes) {
      throw new ProtocolError('conversation_too_large', `The item holds ${size} bytes, more than limits.maxSessionHeldBytes (${maxBytes}) allows a conversation.`, 'item');
    }
    if (size > 0 && server.total - this.held + size > server.limit) {
      throw new ProtocolError('conversation_too_large', `The server's conversations hold limits.maxServerHeldBytes (${server.limit}); this item (${size} bytes) does not fit even without this session's history.`, 'item');
    }
    this.items.splice(index, 0, item);
    this.count(item, size);
    this.recent.push(item);
    if (this.recent.length > REMEASURED_ITEMS) this.recent.shift();
    this.enforceBounds(item);
    return index > 0 ? this.items[index - 1]!.id : null;
  }

  delete(id: string): void {
    const item = this.require(id);
    this.remove(this.items.indexOf(item));
  }

  /** Gives every byte back to the server's account (the session closed). */
  release(): void {
    this.limits.server.total -= this.held;
    this.held = 0;
    this.items.length = 0;
    this.recent.length = 0;
    this.sizes.clear();
  }

  private count(item: StoredItem, size: number): void {
    const delta = size - (this.sizes.get(item) ?? 0);
    this.sizes.set(item, size);
    this.held += delta;
    this.limits.server.total += delta;
  }

  private remeasureRecent(): void {
    for (const item of this.recent) this.count(item, itemBytes(item));
  }

  private remove(index: number): void {
    const [item] = this.items.splice(index, 1);
    if (!item) return;
    const size = this.sizes.get(item) ?? 0;
    this.sizes.delete(item);
    this.held -= size;
    this.limits.server.total -= size;
    const r = this.recent.indexOf(item);
    if (r >= 0) this.recent.splice(r, 1);
  }

  /** Drops the oldest items (never `added`) past the item and byte bounds; frees old audio. */
  private enforceBounds(added: StoredItem): void {
    const { maxBytes, server } = this.limits;
    while (this.items.length > 1 && (this.items.length > MAX_ITEMS || this.held > maxBytes || server.total > server.limit)) {
      this.remove(this.items[0] === added ? 1 : 0);
    }
    let withAudio = 0;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i]!;
      let freed = false;
      for (const part of item.parts) {
        if (part.type === 'input_audio' && part.segment) {
          withAudio += 1;
          if (withAudio > MAX_ITEMS_WITH_AUDIO) {
            part.segment = null; // keep the transcript, free the samples
            freed = true;
          }
        }
      }
      if (freed) this.count(item, itemBytes(item));
    }
  }

  /**
   * Model-facing history, oldest first. Images are kept only in the last `keepImagesInLast` user
   * messages (VITA drops them from history). `answerText` stands in for the text of assistant
   * items by id (an answer still streaming, seen as it will be stored once interrupted).
   */
  toMessages(options: { lastItems?: number; keepImagesInLast?: number; exclude?: ReadonlySet<string>; answerText?: ReadonlyMap<string, string> } = {}): ChatMessage[] {
    const kept = options.exclude ? this.items.filter((i) => !options.exclude!.has(i.id)) : this.items;
    const source = options.lastItems ? kept.slice(-options.lastItems) : kept;
    const keepImages = options.keepImagesInLast ?? 1;
    let userSeen = 0;
    const out: ChatMessage[] = [];
    for (let i = source.length - 1; i >= 0; i--) {
      const item = source[i]!;
      if (item.role === 'user') userSeen += 1;
      const content: ContentPart[] = [];
      const replaced = options.answerText?.get(item.id);
      if (replaced !== undefined && item.role === 'assistant') {
        out.push({ role: item.role, content: [{ type: 'text', text: replaced }] });
        continue;
      }
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

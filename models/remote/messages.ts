// Duet's ChatMessage list -> Chat Completions `messages`. Images become
// `image_url` parts with data URLs (base64 cached per image, so a frame kept in
// history is encoded once); audio parts become their transcript. Messages
// without images are sent with string content, the form every engine accepts
// (llama.cpp and Ollama are pickier about part arrays than vLLM/OpenAI).

import type { ChatMessage, ImageInput, Role } from '../types.js';

export type WirePart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface WireMessage {
  role: Role;
  content: string | WirePart[];
}

export interface WireOptions {
  /** Sent first as a system message. */
  instructions?: string;
  /** The engine accepts image_url parts; otherwise images are replaced by a note. */
  vision: boolean;
  /** Which messages keep their images: all, only the last (VITA drops them from history turns), none (silently). */
  images?: 'all' | 'last' | 'none';
}

export const NOTE_AUDIO_WITHOUT_TRANSCRIPT = '[speech without a transcript, omitted]';
export const NOTE_IMAGE_WITHOUT_VISION = '[image omitted: this model does not read images]';

const dataUrls = new WeakMap<Uint8Array, string>();

export function imageDataUrl(image: ImageInput): string {
  let url = dataUrls.get(image.bytes);
  if (url === undefined) {
    const b64 = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64');
    url = `data:${image.mimeType};base64,${b64}`;
    dataUrls.set(image.bytes, url);
  }
  return url;
}

function convert(message: ChatMessage, allowImages: boolean | 'drop', vision: boolean): WireMessage {
  const parts: WirePart[] = [];
  let hasImage = false;
  for (const part of message.content) {
    if (part.type === 'text') {
      parts.push({ type: 'text', text: part.text });
    } else if (part.type === 'audio') {
      const transcript = part.transcript?.trim();
      parts.push({ type: 'text', text: transcript ? transcript : NOTE_AUDIO_WITHOUT_TRANSCRIPT });
    } else if (allowImages === true && vision && message.role === 'user') {
      parts.push({ type: 'image_url', image_url: { url: imageDataUrl(part.image) } });
      hasImage = true;
    } else if (!vision && allowImages !== 'drop') {
      parts.push({ type: 'text', text: NOTE_IMAGE_WITHOUT_VISION });
    }
  }
  if (hasImage) return { role: message.role, content: parts };
  let text = '';
  for (const part of parts) if (part.type === 'text') text = text === '' ? part.text : `${text}\n${part.text}`;
  return { role: message.role, content: text };
}

export function toWireMessages(messages: readonly ChatMessage[], options: WireOptions): WireMessage[] {
  const out: WireMessage[] = [];
  if (options.instructions) out.push({ role: 'system', content: options.instructions });
  const last = messages.length - 1;
  const images = options.images ?? 'all';
  for (let i = 0; i <= last; i++) {
    const allow = images === 'none' ? 'drop' : images === 'all' || i === last;
    out.push(convert(messages[i]!, allow, options.vision));
  }
  return out;
}

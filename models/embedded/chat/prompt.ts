// Duet's ChatMessage lists -> the messages a chat template renders. Text models get string
// content; vision-language templates (SmolVLM) get lists of {type: text|image} parts. Only the
// last message keeps its images (VITA drops images from history turns).

import type { ChatMessage, ContentPart, GenerateRequest, ImageInput, MonitorRequest } from '../../types.js';
import { EmbeddedModelError } from '../errors.js';
import type { ResolvedStateTokens } from './state-tokens.js';

export type TemplatePart = { type: 'text'; text: string } | { type: 'image' };
export interface TemplateMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | TemplatePart[];
}

export interface ChatPrompt {
  messages: TemplateMessage[];
  /** Images in the order of their `image` parts. */
  images: ImageInput[];
}

export const NOTE_AUDIO_WITHOUT_TRANSCRIPT = '[speech without a transcript]';
export const NOTE_IMAGE_DROPPED = '[image]';

function partText(part: ContentPart): string | null {
  if (part.type === 'text') return part.text;
  if (part.type === 'audio') return part.transcript?.trim() || NOTE_AUDIO_WITHOUT_TRANSCRIPT;
  return null;
}

function convert(message: ChatMessage, vision: boolean, keepImages: boolean, images: ImageInput[]): TemplateMessage {
  const parts: TemplatePart[] = [];
  for (const part of message.content) {
    const text = partText(part);
    if (text !== null) parts.push({ type: 'text', text });
    else if (part.type === 'image') {
      if (vision && keepImages) {
        parts.push({ type: 'image' });
        images.push(part.image);
      } else parts.push({ type: 'text', text: NOTE_IMAGE_DROPPED });
    }
  }
  if (vision) return { role: message.role, content: parts.length ? parts : [{ type: 'text', text: '' }] };
  return { role: message.role, content: parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n') };
}

function system(text: string, vision: boolean): TemplateMessage {
  return { role: 'system', content: vision ? [{ type: 'text', text }] : text };
}

function answerable(message: ChatMessage | undefined): boolean {
  if (!message) return false;
  return message.content.some((p) => p.type === 'image' || (p.type === 'text' && p.text.trim() !== '') || (p.type === 'audio' && !!p.transcript?.trim()));
}

/** The prompt for an answer. `skipHistory` drops that many of the oldest messages (to fit the context). */
export function chatPrompt(request: GenerateRequest, vision: boolean, skipHistory = 0): ChatPrompt {
  const images: ImageInput[] = [];
  const messages: TemplateMessage[] = [];
  if (request.instructions?.trim()) messages.push(system(request.instructions, vision));
  const last = request.messages.length - 1;
  if (!answerable(request.messages[last])) {
    throw new EmbeddedModelError('transcript_required', 'the query has no text, transcript or image to answer (configure models.asr for speech)');
  }
  for (let i = Math.min(skipHistory, last); i <= last; i++) messages.push(convert(request.messages[i]!, vision, i === last, images));
  return { messages, images };
}

export function monitorInstructions(state: ResolvedStateTokens, withIncomplete = false): string {
  const [query, noise, text] = state.strings;
  return [
    'You are the listening part of a voice assistant. The microphone picks up everything said near the user,',
    'including speech that is not meant for the assistant. Classify the LAST user turn and answer with exactly one token:',
    `${query} if the user is speaking to the assistant and expects an answer;`,
    `${noise} if it is noise, a cough, a filler, or speech not addressed to the assistant (talking to someone else, thinking aloud);`,
    `${text} if it is a typed text message to the assistant.`,
    ...(withIncomplete && state.incomplete ? [`${state.incomplete.string} if the user stopped in the middle of a sentence and is about to go on (the request is not finished yet).`] : []),
  ].join('\n');
}

/**
 * The VITA monitor prompt: instructions that define the state tokens, recent history, the new
 * utterance. A text model reads speech through its transcript only (audio-native monitors are
 * out of scope here), so a segment without a transcript cannot be classified.
 */
export function monitorPrompt(request: MonitorRequest, state: ResolvedStateTokens, vision: boolean, skipHistory = 0, withIncomplete = false): ChatPrompt {
  let utterance: string;
  if (request.segment || request.transcript !== undefined) {
    const transcript = request.transcript?.trim();
    if (!transcript) throw new EmbeddedModelError('transcript_required', 'the embedded monitor reads speech through its transcript; none was given (configure models.asr)');
    utterance = `[spoken] ${transcript}`;
  } else {
    const lastText = request.history.at(-1)?.content.map(partText).filter((t): t is string => t !== null).join('\n');
    if (!lastText) throw new EmbeddedModelError('transcript_required', 'the monitor request has neither a segment with a transcript nor a text message');
    utterance = `[typed] ${lastText}`;
  }
  const history = request.segment || request.transcript !== undefined ? request.history : request.history.slice(0, -1);
  const messages: TemplateMessage[] = [system(monitorInstructions(state, withIncomplete), vision)];
  const images: ImageInput[] = [];
  for (let i = Math.min(skipHistory, history.length); i < history.length; i++) messages.push(convert(history[i]!, vision, false, images));
  messages.push({ role: 'user', content: vision ? [{ type: 'text', text: utterance }] : utterance });
  return { messages, images };
}

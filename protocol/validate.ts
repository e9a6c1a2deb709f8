import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TObject } from '@sinclair/typebox';
import { ClientEventSchemas, type ClientEvent, type ClientEventType } from './schema/client-events.js';
import { ServerEventSchemas, type ServerEventType } from './schema/server-events.js';
import { ProtocolError } from './errors.js';

const clientCheckers = new Map<string, TypeCheck<TObject>>(
  Object.entries(ClientEventSchemas).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TObject)]),
);

export function isClientEventType(type: string): type is ClientEventType {
  return clientCheckers.has(type);
}

/** Validates a parsed client event; throws ProtocolError(invalid_value) naming the first bad field. */
export function parseClientEvent(value: Record<string, unknown> & { type: string }): ClientEvent {
  const type = value.type;
  const checker = clientCheckers.get(type);
  if (!checker) throw new ProtocolError('unknown_event_type', `Unknown event type '${type}'.`, 'type');
  if (checker.Check(value)) return value as unknown as ClientEvent;
  const first = checker.Errors(value).First();
  const param = first ? first.path.replace(/^\//, '').replaceAll('/', '.') : undefined;
  throw new ProtocolError('invalid_value', `Invalid '${param || type}': ${first?.message ?? 'bad value'}.`, param || undefined);
}

const serverCheckers = new Map<string, TypeCheck<TObject>>(
  Object.entries(ServerEventSchemas).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TObject)]),
);

/** For tests: checks a server event against its schema; returns error text or null. */
export function checkServerEvent(event: { type: string }): string | null {
  const checker = serverCheckers.get(event.type) ?? serverCheckers.get(betaToGa(event.type));
  if (!checker) return `no schema for server event '${event.type}'`;
  const value = { ...event, type: betaToGa(event.type) };
  if (checker.Check(value)) return null;
  const first = checker.Errors(value).First();
  return `${event.type}: ${first?.path} ${first?.message}`;
}

const betaNames: Record<string, ServerEventType> = {
  'conversation.item.created': 'conversation.item.added',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
};
function betaToGa(type: string): string {
  return betaNames[type] ?? type;
}

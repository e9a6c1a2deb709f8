import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientEvent } from '../../protocol/validate.js';
import { ClientEventSchemas } from '../../protocol/schema/client-events.js';
import { ProtocolError } from '../../protocol/errors.js';

const PNG_1X1 = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** One valid example of every client event. */
export const VALID_CLIENT_EVENTS: Record<keyof typeof ClientEventSchemas, Record<string, unknown>> = {
  'session.update': {
    type: 'session.update',
    event_id: 'c1',
    session: {
      type: 'realtime',
      instructions: 'Be brief.',
      output_modalities: ['text'],
      audio: {
        input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: { type: 'server_vad', threshold: 0.6, silence_duration_ms: 400 }, transcription: null },
        output: { format: { type: 'audio/pcmu' }, voice: 'en-us', speed: 1.2 },
      },
      max_output_tokens: 200,
    },
  },
  'input_audio_buffer.append': { type: 'input_audio_buffer.append', audio: 'AAAAAA==' },
  'input_audio_buffer.commit': { type: 'input_audio_buffer.commit' },
  'input_audio_buffer.clear': { type: 'input_audio_buffer.clear' },
  'conversation.item.create': {
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: PNG_1X1 }] },
  },
  'conversation.item.truncate': { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 1500 },
  'conversation.item.delete': { type: 'conversation.item.delete', item_id: 'item_1' },
  'conversation.item.retrieve': { type: 'conversation.item.retrieve', item_id: 'item_1' },
  'output_audio_buffer.clear': { type: 'output_audio_buffer.clear' },
  'response.create': { type: 'response.create', response: { output_modalities: ['text'], instructions: 'x', max_output_tokens: 5 } },
  'response.cancel': { type: 'response.cancel' },
  'duet.input_image.append': { type: 'duet.input_image.append', image: PNG_1X1 },
};

test('every client event type has a valid example that parses and round-trips through JSON', () => {
  for (const type of Object.keys(ClientEventSchemas)) {
    const example = VALID_CLIENT_EVENTS[type as keyof typeof ClientEventSchemas];
    assert.ok(example, `example for ${type}`);
    const wire = JSON.parse(JSON.stringify(example)) as Record<string, unknown> & { type: string };
    assert.deepEqual(parseClientEvent(wire), example, type);
  }
});

test('beta session keys are accepted', () => {
  const event = parseClientEvent({
    type: 'session.update',
    session: { modalities: ['text', 'audio'], voice: 'en-us', input_audio_format: 'g711_ulaw', output_audio_format: 'pcm16', turn_detection: null, input_audio_transcription: { model: 'whisper-1' } },
  });
  assert.equal(event.type, 'session.update');
});

test('wrong fields name the offending param', () => {
  const cases: [Record<string, unknown> & { type: string }, string][] = [
    [{ type: 'conversation.item.truncate', item_id: 'x', content_index: 0 }, 'audio_end_ms'],
    [{ type: 'input_audio_buffer.append', audio: 5 }, 'audio'],
    [{ type: 'session.update', session: { output_modalities: ['smell'] } }, 'session.output_modalities.0'],
    [{ type: 'session.update', session: { bogus: true } }, 'session.bogus'],
  ];
  for (const [event, param] of cases) {
    assert.throws(
      () => parseClientEvent(event),
      (err: unknown) => err instanceof ProtocolError && err.code === 'invalid_value' && err.param === param,
      `${JSON.stringify(event)} -> ${param}`,
    );
  }
  assert.throws(() => parseClientEvent({ type: 'no.such.event' }), (err: unknown) => err instanceof ProtocolError && err.code === 'unknown_event_type');
});

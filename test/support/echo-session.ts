// A session whose client plays the spoken answer through a simulated room into its microphone
// (loopback.ts), for the echo tests through the real socket.
import { scriptFile, startServer, type TestServer } from './server.js';
import { TestClient, type Ev } from './client.js';
import { LoopbackClient } from './loopback.js';
import { espeakAvailable, speak } from './espeak.js';
import { ROOMS, echoGainFor } from './room.js';
import { speexAvailability } from '../../server/audio/echo/speex.js';

export const ANSWER = 'The quick brown fox jumps over the lazy dog. Then it runs into the forest, where it finds a river, crosses it, and rests under a tall tree until the evening comes. Later on, the moon rises over the hills, and the fox walks home through the tall grass.';
export const skip = !espeakAvailable() ? 'espeak-ng is not installed' : !speexAvailability().available ? 'libspeexdsp1 is not installed' : false;
export const ROOM = ROOMS[0]!;
/** The user's voice level; the echo is set relative to it. */
export const USER_DBFS = -26;

export interface Session {
  server: TestServer;
  client: TestClient;
  loopback: LoopbackClient;
}

export async function open(echoDb: number, session: Record<string, unknown> = {}, script: Record<string, unknown> = {}, clockPpm = 0): Promise<Session> {
  const server = await startServer({ voice: { leadMs: 300 }, models: { chat: { kind: 'scripted', script: scriptFile({ replies: [{ text: ANSWER }, { text: ANSWER }, { text: 'Okay.' }], tokenDelayMs: 5, ...script }) } } });
  const client = await TestClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  // A duet-aware loudspeaker client: every event as it happens (speech_started is not held for the monitor).
  const duet = { speech_started: 'immediate', ...((session.duet as Record<string, unknown> | undefined) ?? {}) };
  client.send({ type: 'session.update', session: { output_modalities: ['audio'], audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } }, ...session, duet } });
  await client.waitFor('session.updated');
  const gain = echoGainFor(speak(ANSWER)!, ROOM, 10 ** (USER_DBFS / 20), echoDb);
  const loopback = new LoopbackClient(client, { room: ROOM, echoGain: gain, clockPpm });
  loopback.start();
  return { server, client, loopback };
}

export async function close(s: Session): Promise<void> {
  s.loopback.stop();
  s.client.close();
  await s.server.stop();
}

/** Asks by text; the answer is spoken. */
export function ask(client: TestClient): void {
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the fox.' }] } });
  client.send({ type: 'response.create' });
}

export const types = (events: Ev[], type: string) => events.filter((e) => e.type === type);


// The simulated user's device: a real-time microphone (20 ms PCM16 chunks, sent as each is
// captured) and a loudspeaker that plays the answer audio at 1x (playback.ts), with one of three
// client policies for what it does with its playback when the server signals an interruption.
import WebSocket from 'ws';
import { resample } from '../../../server/audio/resample.js';
import { dbToGain } from '../../../server/voice/output-gain.js';
import { Playback } from './playback.js';
import { addEcho, roomTaps, type RoomPath } from './room.js';
import { PER_MS, RATE } from './sounds.js';

/**
 * openai: a plain OpenAI Realtime client (as @openai/agents-realtime): on speech_started during
 *   playback it stops playback and truncates to the played ms; it ignores duet.* events.
 * duet: as the page: lowers what it has buffered on duet.response.ducked when it cancels echo itself
 *   (the server lowers what it sends after), keeps playing through a tentative duet.response.paused, freezes playback on a firm
 *   one or on speech_started while paused, continues at full level on resumed, drops the buffer and
 *   truncates on duet.output_audio.clear; speech_started does not cut.
 * vad: the openai client with speech_started announced at once (OpenAI server_vad semantics).
 */
export type Policy = 'openai' | 'duet' | 'vad';

/** What each policy asks for in session.duet.speech_started (ignored by a server without the setting). */
export const SPEECH_STARTED_SETTING: Record<Policy, 'immediate' | 'confirmed'> = { openai: 'confirmed', duet: 'immediate', vad: 'immediate' };

export const CHUNK_MS = 20;
const CHUNK = CHUNK_MS * PER_MS;
/** Loudspeaker and microphone tapes are this long: a scenario must fit. */
const TAPE_MS = 40000;
/** The microphone's own noise floor, dBFS. */
const NOISE_FLOOR_DBFS = -60;

export interface LoggedEvent {
  atMs: number;
  type: string;
  event: Record<string, unknown>;
}

export interface Cut {
  atMs: number;
  itemId: string | null;
  why: 'speech_started' | 'paused' | 'clear';
  droppedMs: number;
}

export interface ClientOptions {
  policy: Policy;
  /** Loudspeaker -> microphone path (null: a headset, no echo). */
  room: RoomPath | null;
  seed: number;
  /** Extra session settings (merged into the session.update). */
  session?: Record<string, unknown>;
  /** duet.echo_cancellation to ask for (absent: the server's default). */
  echoCancellation?: boolean;
}

export class SimClient {
  readonly log: LoggedEvent[] = [];
  readonly cuts: Cut[] = [];
  readonly truncates: { atMs: number; itemId: string; audioEndMs: number }[] = [];
  /** Where the server lowered an answer (duet.response.ducked) and where it stopped or restored it: received sample offsets ([from, to), to null while open). */
  readonly ducks: { atMs: number; itemId: string; from: number; to: number | null }[] = [];
  private lastAudioItem: string | null = null;
  /** Per item: where each transcript delta's audio starts (16 kHz sample offset) and its word count. */
  readonly words = new Map<string, { offset: number; words: number }[]>();
  /** Whether the server accepted session.duet.speech_started (false on a server without it). */
  speechStartedSetting: 'accepted' | 'rejected' | 'unknown' = 'unknown';
  readonly errors: string[] = [];
  /** How late microphone chunks left, ms (the sender's own scheduling jitter). */
  readonly micLatenessMs: number[] = [];
  readonly originMs: number;
  readonly playback: Playback;
  /** The server paused the answer and has not resumed or cleared it. */
  private answerPaused = false;
  private readonly scene = new Float32Array(TAPE_MS * PER_MS);
  private readonly speaker = new Float32Array(TAPE_MS * PER_MS);
  private readonly taps: { delay: number; gain: number }[];
  private chunk = 0;
  private micTimer: NodeJS.Timeout | null = null;
  private responsesActive = new Set<string>();
  private noiseState: number;
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    readonly options: ClientOptions,
  ) {
    this.originMs = performance.now();
    this.playback = new Playback(this.originMs, this.speaker, PER_MS);
    this.taps = options.room ? roomTaps(options.room, PER_MS) : [];
    this.noiseState = (options.seed * 2654435761) >>> 0 || 1;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onEvent(JSON.parse(data.toString()) as Record<string, unknown> & { type: string });
    });
  }

  /** Connects, configures the session (16 kHz PCM in, 24 kHz PCM audio out, server VAD), starts the microphone. */
  static async open(url: string, options: ClientOptions): Promise<SimClient> {
    const ws = new WebSocket(url, ['realtime'], { perMessageDeflate: false });
    // Listening before the socket opens: session.created can arrive in the same read as the upgrade.
    const client = new SimClient(ws, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await client.until(() => client.seen('session.created'), 10000, 'session.created');
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['audio'],
        audio: {
          input: { format: { type: 'audio/pcm', rate: RATE }, turn_detection: { type: 'server_vad', create_response: true, interrupt_response: true } },
          output: { format: { type: 'audio/pcm', rate: 24000 } },
        },
        ...options.session,
      },
    });
    await client.until(() => client.seen('session.updated'), 10000, 'session.updated');
    // Its own update, so a server that does not know the key rejects only this one.
    const before = client.log.length;
    client.send({ type: 'session.update', event_id: 'speech-started-setting', session: { type: 'realtime', duet: { speech_started: SPEECH_STARTED_SETTING[options.policy], ...(options.echoCancellation === undefined ? {} : { echo_cancellation: options.echoCancellation }) } } });
    await client.until(() => client.log.slice(before).some((e) => e.type === 'session.updated' || e.type === 'error'), 10000, 'answer to the speech_started setting');
    client.speechStartedSetting = client.log.slice(before).some((e) => e.type === 'session.updated') ? 'accepted' : 'rejected';
    client.startMicrophone();
    return client;
  }

  nowMs(): number {
    return performance.now();
  }

  seen(type: string, fromMs = 0): boolean {
    return this.log.some((e) => e.type === type && e.atMs >= fromMs);
  }

  /**
   * Puts a sound on the microphone, starting at the first chunk at least `leadMs` from now
   * (chunks already sent cannot change). Returns when its first and last samples are "spoken".
   */
  say(samples: Float32Array, leadMs = 40): { onsetMs: number; endMs: number } {
    const nextChunkMs = (this.chunk + Math.ceil(leadMs / CHUNK_MS)) * CHUNK_MS;
    const at = nextChunkMs * PER_MS;
    if (at + samples.length > this.scene.length) throw new Error('scenario longer than the microphone tape');
    for (let i = 0; i < samples.length; i++) this.scene[at + i]! += samples[i]!;
    return { onsetMs: this.originMs + nextChunkMs, endMs: this.originMs + nextChunkMs + samples.length / PER_MS };
  }

  /** Polls `condition` every 10 ms (advancing playback) until true; throws after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.playback.advance(performance.now());
      if (condition()) return;
      if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits until wall time `atMs` (playback keeps advancing). */
  async sleepUntil(atMs: number): Promise<void> {
    await this.until(() => performance.now() >= atMs, Math.max(0, atMs - performance.now()) + 5000, 'time');
  }

  /** Samples of `itemId` played so far. */
  playedSamples(itemId: string): number {
    return this.playback.spans.filter((s) => s.itemId === itemId).reduce((n, s) => n + s.to - s.from, 0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.micTimer) clearTimeout(this.micTimer);
    this.playback.advance(performance.now());
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  private send(event: Record<string, unknown>): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(event));
  }

  /** Sends each 20 ms chunk once it is complete on the microphone clock (catching up if late). */
  private startMicrophone(): void {
    const tick = () => {
      if (this.closed) return;
      const now = performance.now();
      this.playback.advance(now);
      while ((this.chunk + 1) * CHUNK_MS <= now - this.originMs && (this.chunk + 1) * CHUNK <= this.scene.length) {
        this.micLatenessMs.push(now - this.originMs - (this.chunk + 1) * CHUNK_MS);
        this.sendChunk(this.chunk);
        this.chunk += 1;
      }
      const next = this.originMs + (this.chunk + 1) * CHUNK_MS - performance.now();
      this.micTimer = setTimeout(tick, Math.max(1, next));
    };
    // The stream starts now: chunk 0 is captured over the first 20 ms.
    this.micTimer = setTimeout(tick, CHUNK_MS);
  }

  private sendChunk(k: number): void {
    const at = k * CHUNK;
    const mic = this.scene.slice(at, at + CHUNK);
    if (this.taps.length > 0) addEcho(mic, at, this.speaker, this.taps);
    const floor = 10 ** (NOISE_FLOOR_DBFS / 20) * Math.sqrt(3);
    const pcm = new Int16Array(CHUNK);
    for (let i = 0; i < CHUNK; i++) {
      this.noiseState ^= this.noiseState << 13;
      this.noiseState ^= this.noiseState >>> 17;
      this.noiseState ^= this.noiseState << 5;
      const n = ((this.noiseState >>> 0) / 4294967296) * 2 - 1;
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round((mic[i]! + n * floor) * 32767)));
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(pcm.buffer), { binary: true });
  }

  private onEvent(event: Record<string, unknown> & { type: string }): void {
    const now = performance.now();
    this.playback.advance(now);
    const { delta: _omit, ...brief } = event;
    this.log.push({ atMs: now, type: event.type, event: brief });
    switch (event.type) {
      case 'error': {
        const error = event.error as { code?: string; event_id?: string | null };
        if (error.event_id !== 'speech-started-setting') this.errors.push(String(error.code));
        break;
      }
      case 'response.created':
        this.responsesActive.add((event.response as { id: string }).id);
        break;
      case 'response.done':
        this.responsesActive.delete((event.response as { id: string }).id);
        break;
      case 'response.output_audio_transcript.delta': {
        const itemId = String(event.item_id);
        const list = this.words.get(itemId) ?? [];
        list.push({ offset: this.playback.receivedSamples(itemId), words: String(event.delta).split(/\s+/).filter(Boolean).length });
        this.words.set(itemId, list);
        break;
      }
      case 'response.output_audio.delta':
        this.lastAudioItem = String(event.item_id);
        this.playback.enqueue(now, String(event.item_id), String(event.response_id), decodeAudio(String(event.delta)));
        break;
      case 'input_audio_buffer.speech_started':
        if (this.options.policy !== 'duet' && this.isPlaying()) this.cutPlayback(now, 'speech_started');
        // As the page does: confirmed speech over a (tentatively) paused answer freezes playback.
        else if (this.options.policy === 'duet' && this.answerPaused) this.freezePlayback(now);
        break;
      case 'duet.response.ducked': {
        if (this.lastAudioItem === null) break;
        // As the page, which cancels echo itself: with the server's canceller on, lowering the buffer
        // would make the echo differ from the server's reference of what was sent (and hide a barge-in).
        const lowersBuffer = this.options.policy === 'duet' && this.options.echoCancellation === false;
        if (lowersBuffer) this.playback.setBufferedGain(now, dbToGain(Number(event.gain_db)));
        // Heard lowered from the play head (the page lowers its buffer) or from the next delta (the server's own).
        const from = lowersBuffer ? this.playback.playHead(this.lastAudioItem) : this.playback.receivedSamples(this.lastAudioItem);
        this.ducks.push({ atMs: now, itemId: this.lastAudioItem, from, to: null });
        break;
      }
      case 'duet.response.paused':
        this.endDuck();
        this.answerPaused = true;
        // A tentative pause may prove a blip: the buffered audio plays on; a firm one freezes playback.
        if (this.options.policy === 'duet' && event.tentative !== true) this.freezePlayback(now);
        break;
      case 'duet.response.resumed':
        this.endDuck();
        this.answerPaused = false;
        if (this.options.policy === 'duet') {
          this.playback.setBufferedGain(now, 1);
          this.playback.resume(now);
        }
        break;
      case 'duet.output_audio.clear':
        this.endDuck();
        this.answerPaused = false;
        if (this.options.policy === 'duet') this.cutPlayback(now, 'clear');
        break;
    }
  }

  /** The next deltas are at full level again, or none follow (paused, cleared). */
  private endDuck(): void {
    const open = this.ducks.at(-1);
    if (open && open.to === null) open.to = this.playback.receivedSamples(open.itemId);
  }

  private freezePlayback(now: number): void {
    this.playback.pause(now);
    this.cuts.push({ atMs: now, itemId: this.playback.currentItem(), why: 'paused', droppedMs: 0 });
  }

  /** "During playback", as the OpenAI SDKs judge it: audio is buffered, or an answer with audio is still running. */
  private isPlaying(): boolean {
    const item = this.playback.currentItem();
    return this.playback.bufferedMs(performance.now()) > 0 || (item !== null && this.responsesActive.size > 0);
  }

  /** Stops playback, drops the buffer, and truncates the item being played to what was heard. */
  private cutPlayback(now: number, why: Cut['why']): void {
    const itemId = this.playback.currentItem();
    const droppedMs = this.playback.clear(now);
    this.cuts.push({ atMs: now, itemId, why, droppedMs });
    if (itemId === null) return;
    const audioEndMs = Math.floor(this.playback.playedMs(itemId));
    this.truncates.push({ atMs: now, itemId, audioEndMs });
    this.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: audioEndMs });
  }
}

/** A base64 PCM16 24 kHz delta as 16 kHz float samples (the loudspeaker's and microphone's clock). */
function decodeAudio(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const samples = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(2 * i) / 32768;
  return resample(samples, 24000, RATE);
}

import type { OutgoingEvent, ServerEventType } from '../../protocol/schema/server-events.js';
import type { UtteranceAnnouncement } from '../scheduler/duplex-scheduler.js';

/**
 * The client events of one spoken utterance (speech_started, speech_stopped, committed, the
 * item, its transcript), sent at once or held until the monitor has decided.
 *
 * Plain OpenAI clients stop playback and truncate the answer the moment they receive
 * `input_audio_buffer.speech_started`. For speech over an answer, a session in `confirmed` mode
 * (the default) holds the utterance's events: released in order when the monitor decides the
 * speech is a query (just before the answer is cancelled), dropped when it is noise, so a cough
 * or an "mm-hm" never cuts the answer at the client. The answer itself pauses on the server at
 * speech onset either way.
 */
export class UtteranceEvents implements UtteranceAnnouncement {
  private held: OutgoingEvent[] | null;
  private dropped = false;

  constructor(
    private readonly sendNow: (event: OutgoingEvent) => void,
    hold: boolean,
  ) {
    this.held = hold ? [] : null;
  }

  /** Still waiting for the monitor (events are being held). */
  get holding(): boolean {
    return this.held !== null;
  }

  get discarded(): boolean {
    return this.dropped;
  }

  send<K extends ServerEventType>(event: OutgoingEvent<K>): void {
    if (this.dropped) return;
    if (this.held) this.held.push(event as OutgoingEvent);
    else this.sendNow(event as OutgoingEvent);
  }

  /** Sends what was held, in order; later events go straight out. */
  release(): void {
    const held = this.held;
    if (!held || this.dropped) return;
    this.held = null;
    for (const event of held) this.sendNow(event);
  }

  /** Drops what was held and everything later: the client never hears of this utterance. */
  discard(): void {
    if (!this.held) return;
    this.held = null;
    this.dropped = true;
  }
}

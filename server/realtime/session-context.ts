import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ModelSet } from '../../models/types.js';
import type { Metrics } from '../metrics.js';
import type { Outbound } from './outbound.js';
import type { EventSink } from '../response/event-sink.js';
import type { Conversation } from '../conversation/conversation.js';
import type { SessionSettings } from './session-settings.js';
import type { DuplexScheduler } from '../scheduler/duplex-scheduler.js';
import type { AudioInput } from './audio-input.js';
import type { ImageInputs } from './image-input.js';

/** What every event handler of a session may use. */
export interface SessionContext {
  readonly id: string;
  readonly log: Logger;
  readonly config: Config;
  readonly models: ModelSet;
  readonly metrics: Metrics;
  readonly outbound: Outbound;
  readonly events: EventSink;
  /** Aborted when the session closes. */
  readonly signal: AbortSignal;
  readonly conversation: Conversation;
  readonly scheduler: DuplexScheduler;
  readonly audio: AudioInput;
  readonly images: ImageInputs;
  settings: SessionSettings;
}

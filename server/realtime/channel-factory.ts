import type { OutputChannel } from '../response/output-channel.js';
import type { PartRef } from '../response/response-run.js';
import type { SessionContext } from './session-context.js';

export interface ChannelRequest {
  ref: PartRef;
  modality: 'text' | 'audio';
  session: SessionContext;
}

/** Builds the output channel of a response (text deltas, or speech). */
export type ChannelFactory = (request: ChannelRequest) => OutputChannel;

// The model set sessions hold, whose models can arrive after start: what loaded at start (`base`)
// and what was downloaded and loaded later (`late`: the chat model and/or the recognizer). Sessions
// read `instances` and `asr` on every use, so a late model serves the next turn of every session
// without a restart. While a model downloads its capabilities report the download (`overlay`).

import type { Capability, CapabilityStatus, ModelSet } from '../models/types.js';

export type LateRole = 'chat' | 'asr';

const ROLE_CAPABILITIES: Record<LateRole, Capability[]> = { chat: ['generator', 'monitor', 'vision'], asr: ['asr'] };

export class LiveModelSet implements ModelSet {
  private late: ModelSet | null = null;
  private lateRoles = new Set<LateRole>();
  private overlay: Partial<Record<Capability, CapabilityStatus>> = {};

  /** The end-of-turn model (turns.modelPath): loaded once at start, never provisioned. */
  endOfTurn: ModelSet['endOfTurn'];

  constructor(private readonly base: ModelSet) {
    this.endOfTurn = base.endOfTurn;
  }

  get instances(): ModelSet['instances'] {
    return (this.lateRoles.has('chat') ? this.late?.instances : null) ?? this.base.instances;
  }

  get asr(): ModelSet['asr'] {
    return (this.lateRoles.has('asr') ? this.late?.asr : null) ?? this.base.asr;
  }

  get tts(): ModelSet['tts'] {
    return this.base.tts;
  }

  get vision(): boolean {
    return this.lateRoles.has('chat') && this.late?.instances ? this.late.vision : this.base.vision;
  }

  /** What a capability shows while its model is being fetched (null: clear). */
  setOverlay(capability: Capability, status: CapabilityStatus | null): void {
    if (status) this.overlay[capability] = status;
    else delete this.overlay[capability];
  }

  /** Adds the models loaded after start; `roles` says which of its capabilities replace the base's. */
  setLate(set: ModelSet, roles: LateRole[]): void {
    this.late = set;
    this.lateRoles = new Set(roles);
    for (const role of roles) for (const c of ROLE_CAPABILITIES[role]) delete this.overlay[c];
  }

  status(): Record<Capability, CapabilityStatus> {
    const base = this.base.status();
    const late = this.late?.status();
    const out = { ...base };
    if (late) for (const role of this.lateRoles) for (const c of ROLE_CAPABILITIES[role]) out[c] = late[c];
    return { ...out, ...this.overlay };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.base.close(), this.late?.close()]);
  }
}

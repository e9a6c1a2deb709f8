import type { Capability, CapabilityStatus, ModelSet } from '../types.js';
import { ScriptCursor, loadScript, parseScript, type Script } from './script.js';
import { ScriptedInstance } from './scripted-instance.js';

export { ScriptedInstance } from './scripted-instance.js';
export { parseScript, type Script } from './script.js';

/** TESTING ONLY: two scripted instances sharing one script. Selected by `models.chat.kind = "scripted"`. */
export function createScriptedChat(source: string | Script): { instances: [ScriptedInstance, ScriptedInstance]; status: CapabilityStatus } {
  const script = typeof source === 'string' ? loadScript(source) : parseScript(source);
  const cursor = new ScriptCursor(script);
  return {
    instances: [new ScriptedInstance('scripted-a', cursor), new ScriptedInstance('scripted-b', cursor)],
    status: { available: true, backend: 'scripted (testing only)' },
  };
}

/** A model set with only scripted chat (no ASR/TTS), for tests of the machinery around the models. */
export function scriptedModelSet(script: Script): ModelSet & { instances: [ScriptedInstance, ScriptedInstance] } {
  const { instances, status } = createScriptedChat(script);
  const missing: CapabilityStatus = { available: false, reason: 'not configured' };
  const statuses: Record<Capability, CapabilityStatus> = { generator: status, monitor: status, asr: missing, tts: missing, vision: missing };
  return { instances, asr: null, tts: null, vision: false, status: () => statuses, close: async () => {} };
}

export { ScriptedRecognizer } from './scripted-recognizer.js';

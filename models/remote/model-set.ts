// Builds the ModelSet for the `remote` parts of `models` config: two
// ModelInstances (instance 0 on the generator endpoint, instance 1 on the
// monitor endpoint, or on the same engine when no monitor is configured), ASR
// and TTS. Endpoints with identical config share one client (one connection
// pool, one concurrency limit). Readiness comes from `probe()` (GET /models per
// endpoint) and from what real requests observe.

import type { ModelsSection } from '../config.js';
import type { RemoteEndpoint } from '../config.js';
import type { Capability, CapabilityStatus, ModelSet } from '../types.js';
import { RemoteSpeechRecognizer } from './asr.js';
import { EngineClient, type RemoteLog, type RetryPolicy } from './engine-client.js';
import type { RemoteRole } from './errors.js';
import { RemoteModelInstance } from './instance.js';
import { DEFAULT_MONITOR_INSTRUCTIONS, RemoteMonitor, type ConstrainedChoice, type MonitorMethod } from './monitor.js';
import { defaultIncompleteString, type StateStrings } from './state-tokens.js';
import { RemoteSpeechSynthesizer } from './tts.js';

/** Used when `models.chat.stateTokens` is not set: single digits are one token in every common tokenizer. */
export const DEFAULT_REMOTE_STATE_TOKENS: StateStrings = ['1', '2', '3'];

export interface RemoteModelSetOptions {
  /** Where API keys are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
  monitorMethod?: MonitorMethod;
  constrainedChoice?: ConstrainedChoice;
  /** top_logprobs of the monitor request (OpenAI and vLLM allow at most 20 by default). */
  topLogprobs?: number;
  /** Monitor system prompt; null for models trained to emit the state tokens themselves. */
  monitorInstructions?: string | null;
  /** Strip a leading state token from generated replies (default: when stateTokens are configured). */
  stripStateTokens?: boolean;
  generatorExtraBody?: Record<string, unknown>;
  monitorExtraBody?: Record<string, unknown>;
  ttsVoices?: readonly string[];
  ttsSampleRate?: number;
  /** Probe every endpoint once at creation (default true). */
  probeOnStart?: boolean;
  /** Re-probe endpoints that are not up this often (default 5000; 0 never). */
  reprobeIntervalMs?: number;
  probeTimeoutMs?: number;
  /** Test seams. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface RemoteProbe {
  role: RemoteRole;
  baseUrl: string;
  model: string;
  ok: boolean;
  reason?: string;
  latencyMs: number;
}

export interface RemoteModelSet extends ModelSet {
  /** GET /models on every endpoint; one entry per configured role, naming what is down and why. */
  probe(): Promise<RemoteProbe[]>;
}

export function createRemoteModelSet(models: ModelsSection, log: RemoteLog, options: RemoteModelSetOptions = {}): RemoteModelSet {
  const clients = new Map<string, EngineClient>();
  const byRole = new Map<RemoteRole, EngineClient>();
  const clientFor = (role: RemoteRole, endpoint: RemoteEndpoint): EngineClient => {
    const key = JSON.stringify(endpoint);
    let client = clients.get(key);
    if (client) client.roles.push(role);
    else {
      client = new EngineClient({ endpoint, roles: [role], log, env: options.env, retry: options.retry, sleep: options.sleep, random: options.random });
      clients.set(key, client);
    }
    byRole.set(role, client);
    return client;
  };

  const chat = models.chat?.kind === 'remote' ? models.chat : null;
  let instances: readonly [RemoteModelInstance, RemoteModelInstance] | null = null;
  if (chat) {
    const configured = chat.stateTokens;
    const stateTokens: StateStrings = configured ? [configured[0], configured[1], configured[2]] : DEFAULT_REMOTE_STATE_TOKENS;
    const incompleteToken = configured?.[3] ?? defaultIncompleteString(stateTokens);
    const strip = options.stripStateTokens ?? chat.stateTokens !== undefined;
    const make = (index: number, role: RemoteRole, endpoint: RemoteEndpoint) => {
      const client = clientFor(role, endpoint);
      const generator = {
        client,
        role,
        vision: chat.vision,
        maxNewTokens: chat.maxNewTokens,
        stripLeading: strip ? (incompleteToken === null ? stateTokens : [...stateTokens, incompleteToken]) : null,
        extraBody: options.generatorExtraBody,
      };
      const monitor = new RemoteMonitor({
        client,
        role,
        stateTokens,
        incompleteToken,
        topLogprobs: options.topLogprobs ?? 20,
        method: options.monitorMethod ?? 'auto',
        constrained: options.constrainedChoice ?? 'json_schema',
        instructions: options.monitorInstructions === undefined ? DEFAULT_MONITOR_INSTRUCTIONS : options.monitorInstructions,
        extraBody: options.monitorExtraBody,
        log,
      });
      return new RemoteModelInstance(`remote-${index}`, generator, monitor, log);
    };
    instances = [make(0, 'generator', chat.generator), make(1, 'monitor', chat.monitor ?? chat.generator)];
  }
  const asr = models.asr?.kind === 'remote' ? new RemoteSpeechRecognizer(clientFor('asr', models.asr.endpoint)) : null;
  const tts =
    models.tts?.kind === 'remote'
      ? new RemoteSpeechSynthesizer(clientFor('tts', models.tts.endpoint), {
          defaultVoice: models.tts.defaultVoice,
          voices: options.ttsVoices,
          sampleRate: options.ttsSampleRate,
        })
      : null;

  const probeTimeoutMs = options.probeTimeoutMs ?? 5000;
  const probeClients = async (which: EngineClient[]) => {
    await Promise.all(which.map((client) => client.probe(client.roles[0]!, probeTimeoutMs)));
  };
  let closed = false;
  const probe = async (): Promise<RemoteProbe[]> => {
    const started = new Map<EngineClient, Promise<Awaited<ReturnType<EngineClient['probe']>>>>();
    for (const client of clients.values()) started.set(client, client.probe(client.roles[0]!, probeTimeoutMs));
    const out: RemoteProbe[] = [];
    for (const [role, client] of byRole) {
      const result = await started.get(client)!;
      out.push({ role, baseUrl: client.baseUrl, model: client.model, ...result });
    }
    return out;
  };
  if (options.probeOnStart ?? true) void probeClients([...clients.values()]);
  const reprobeMs = options.reprobeIntervalMs ?? 5000;
  const timer =
    reprobeMs > 0 && clients.size > 0
      ? setInterval(() => {
          if (!closed) void probeClients([...clients.values()].filter((c) => c.health.state !== 'up'));
        }, reprobeMs)
      : undefined;
  timer?.unref();

  const statusOf = (role: RemoteRole, unconfigured: string): CapabilityStatus => {
    const client = byRole.get(role);
    if (!client) return { available: false, reason: unconfigured };
    const backend = `remote:${client.baseUrl}#${client.model}`;
    const h = client.health;
    if (h.state === 'up') return { available: true, backend };
    return { available: false, backend, reason: h.state === 'down' ? `${role} engine down: ${h.reason}` : `${role} engine not probed yet` };
  };

  return {
    instances,
    asr,
    tts,
    vision: chat?.vision ?? false,
    status(): Record<Capability, CapabilityStatus> {
      const generator = statusOf('generator', 'models.chat is not a remote engine');
      return {
        generator,
        monitor: statusOf('monitor', 'models.chat is not a remote engine'),
        asr: statusOf('asr', 'models.asr is not a remote engine'),
        tts: statusOf('tts', 'models.tts is not a remote engine'),
        vision: chat?.vision ? generator : { available: false, reason: chat ? 'models.chat.vision is false' : 'models.chat is not a remote engine' },
      };
    },
    probe,
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      await Promise.all([...(instances ?? []), asr, tts].map((part) => part?.close()));
      for (const client of clients.values()) client.close();
    },
  };
}

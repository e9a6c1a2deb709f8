// The server's models at start: what is already here loads now; what must be downloaded first is
// pulled in the background and then loaded into the same LiveModelSet, without a restart.

import type { Logger } from 'pino';
import type { Capability } from '../models/types.js';
import { resolveModelRef } from '../models/hub/resolve.js';
import type { Config } from './config/schema.js';
import { LiveModelSet, type LateRole } from './live-model-set.js';
import { createModelSet } from './model-set.js';
import { planProvisioning, Provisioner, type ProvisioningStatus } from './provisioning.js';

const CAPABILITIES: Record<LateRole, Capability[]> = { chat: ['generator', 'monitor'], asr: ['asr'] };

export interface StartedModels {
  models: LiveModelSet;
  /** For /readyz: the download status and the action to show for what is still coming. */
  provisioning: () => { status: ProvisioningStatus | null; actions: Partial<Record<Capability, string>> };
  /** Settles when every download has ended and what arrived is loaded (at once when nothing is fetched). */
  done: Promise<void>;
  /** Stop: what is still downloading is not loaded afterwards. */
  stop: () => void;
}

export interface StartModelsOptions {
  /** Called on every visible change of the models or their downloads (sessions are told). */
  onChange: () => void;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export async function startModels(config: Config['models'], log: Logger, options: StartModelsOptions): Promise<StartedModels> {
  const targets = planProvisioning(config, options.env, options.cwd);
  const fetching = new Set(targets.map((t) => t.role));
  const now = { ...config, ...(fetching.has('chat') ? { chat: null } : {}), ...(fetching.has('asr') ? { asr: null } : {}) };
  const models = new LiveModelSet(await createModelSet(now, log, { asrElsewhere: fetching.has('asr') }));
  let stopped = false;
  const actions: Partial<Record<Capability, string>> = {};
  const provisioner = new Provisioner(targets, {
    models: config,
    log,
    ...(options.env ? { env: options.env } : {}),
    onChange: () => {
      showDownloads();
      options.onChange();
    },
  });

  /** Capabilities whose model is on its way say so (and what it takes), in /readyz and session.created. */
  const showDownloads = (): void => {
    for (const m of provisioner.progress) {
      for (const c of CAPABILITIES[m.role]) {
        if (m.state === 'failed') {
          // Downloaded but failed to load: the loader's own reason shows.
          models.setOverlay(c, m.error ? { available: false, backend: `embedded:${m.model}`, reason: `download of ${m.model} failed: ${m.error}` } : null);
          delete actions[c];
        } else if (m.state !== 'ready') {
          const share = m.total_bytes ? ` ${Math.floor((100 * m.received_bytes) / m.total_bytes)}% of ${(m.total_bytes / 1e6).toFixed(1)} MB` : '';
          const what = m.state === 'downloading' || m.state === 'waiting' ? `downloading ${m.model} (${m.dtype})${share}` : `loading ${m.model}`;
          models.setOverlay(c, { available: false, backend: `embedded:${m.model}`, reason: what });
          actions[c] = 'wait: it is loaded without a restart when the download ends (progress: /readyz provisioning, duet.capabilities.updated)';
        }
      }
    }
  };
  showDownloads();

  const done = (async () => {
    if (targets.length === 0) return;
    const pulled = await provisioner.pullAll();
    if (stopped) return;
    // A failed download may still leave a usable copy (e.g. copied in by hand): try loading it.
    const roles = targets.filter((t) => pulled.includes(t.role) || resolveModelRef(t.model, config.cacheDir, options.cwd).exists).map((t) => t.role);
    if (roles.length > 0) {
      const late = await createModelSet(
        { ...config, tts: null, chat: roles.includes('chat') ? config.chat : null, asr: roles.includes('asr') ? config.asr : null },
        log,
        { asrElsewhere: models.asr !== null },
      );
      if (stopped) {
        await late.close();
        return;
      }
      models.setLate(late, roles);
      for (const role of roles) for (const c of CAPABILITIES[role]) delete actions[c];
    }
    const status = models.status();
    provisioner.finish(roles, (role) => status[CAPABILITIES[role][0]!].available);
    showDownloads();
    options.onChange();
  })().catch((err: unknown) => log.error({ err }, 'models: loading the downloaded models failed'));

  return {
    models,
    provisioning: () => ({ status: provisioner.status(), actions: { ...actions } }),
    done,
    stop: () => {
      stopped = true;
    },
  };
}

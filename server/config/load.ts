import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, type Config } from './schema.js';
import { limitsProblems } from './sections/limits.js';
import { MODEL_ROLE_DEFAULTS } from '../../models/config.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Env variables mapped onto config paths. `DUET__a__b=json` sets any other key. */
const ENV_KEYS: Record<string, { path: string[]; parse: (raw: string) => unknown }> = {
  PORT: { path: ['server', 'port'], parse: Number },
  HOST: { path: ['server', 'host'], parse: String },
  LOG_LEVEL: { path: ['server', 'logLevel'], parse: String },
  DUET_API_KEYS: { path: ['auth', 'apiKeys'], parse: (raw) => raw.split(',').map((k) => k.trim()).filter(Boolean) },
  DUET_TLS_CERT: { path: ['server', 'tls', 'certPath'], parse: String },
  DUET_TLS_KEY: { path: ['server', 'tls', 'keyPath'], parse: String },
};

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function parseEnvJson(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw; // a bare string such as DUET__server__host=localhost
  }
}

/** Applies env overrides on top of a parsed config object. */
export function applyEnv(input: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = structuredClone(input);
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(out, spec.path, spec.parse(raw));
  }
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('DUET__') || raw === undefined) continue;
    const path = name.slice('DUET__'.length).split('__').filter(Boolean);
    if (path.length === 0) throw new ConfigError(`environment variable ${name} names no config key`);
    setPath(out, path, parseEnvJson(name, raw));
  }
  return out;
}

/** The model roles absent from the input get their defaults (null stays null: that role is off). */
function withModelRoleDefaults(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const root = input as Record<string, unknown>;
  const models = root.models === undefined ? {} : root.models;
  if (models === null || typeof models !== 'object' || Array.isArray(models)) return input;
  const filled: Record<string, unknown> = { ...(models as Record<string, unknown>) };
  // The default recognizer comes with the default chat model (the embedded monitor reads its
  // transcripts); a configuration that names its own chat model (or null) names its recognizer too.
  if (!('asr' in filled) && 'chat' in filled) filled.asr = null;
  for (const [role, value] of Object.entries(MODEL_ROLE_DEFAULTS)) if (!(role in filled)) filled[role] = structuredClone(value);
  return { ...root, models: filled };
}

/** Validates and fills defaults; throws ConfigError naming every bad key. */
export function resolveConfig(input: unknown): Config {
  const withDefaults = Value.Default(ConfigSchema, withModelRoleDefaults(structuredClone(input ?? {})));
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = new Set<string>();
    for (const e of errors) {
      const key = e.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
      lines.add(`${key}: ${e.message}${e.value !== undefined && typeof e.value !== 'object' ? ` (got ${JSON.stringify(e.value)})` : ''}`);
      if (lines.size >= 10) break;
    }
    throw new ConfigError(`invalid configuration:\n  ${[...lines].join('\n  ')}`);
  }
  const config = withDefaults as Config;
  const problems = limitsProblems(config.limits);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

/** Reads `--config FILE` / DUET_CONFIG, applies env overrides, validates. */
export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Config {
  const flag = argv.indexOf('--config');
  const file = flag >= 0 ? argv[flag + 1] : env.DUET_CONFIG;
  if (flag >= 0 && !file) throw new ConfigError('--config needs a file path');
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (fromFile === null || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  return resolveConfig(applyEnv(fromFile, env));
}

import { Kind, type TSchema } from '@sinclair/typebox';
import { resolveConfig } from '../../server/config/load.js';
import { ConfigSchema } from '../../server/config/schema.js';

export interface ConfigKeyDoc {
  path: string;
  defaultValue: unknown;
  description: string;
}

/** Every leaf key of the config schema with its default and description (README table source). */
export function configKeys(): ConfigKeyDoc[] {
  const defaults = resolveConfig({}) as unknown as Record<string, unknown>;
  const out: ConfigKeyDoc[] = [];
  const walk = (schema: TSchema, path: string[], defaultValue: unknown): void => {
    if (schema[Kind] === 'Object' && path.length < 2) {
      for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
        walk(child, [...path, key], (defaultValue as Record<string, unknown> | undefined)?.[key]);
      }
      return;
    }
    if (schema[Kind] === 'Object' && path[0] === 'audio') {
      for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
        walk(child, [...path, key], (defaultValue as Record<string, unknown> | undefined)?.[key]);
      }
      return;
    }
    out.push({ path: path.join('.'), defaultValue, description: (schema.description as string | undefined) ?? '' });
  };
  walk(ConfigSchema, [], defaults);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('| key | default | meaning |\n|---|---|---|');
  for (const k of configKeys()) console.log(`| \`${k.path}\` | \`${JSON.stringify(k.defaultValue)}\` | ${k.description} |`);
}

// Reads a model directory in the Optimum / transformers.js layout and says what it is
// and which ONNX files a dtype selects.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedModelError } from './errors.js';
import { DTYPE_SUFFIX } from '../hub/dtypes.js';

export type ModelKind = 'causal-lm' | 'vision-language' | 'whisper';

export interface ModelDir {
  dir: string;
  kind: ModelKind;
  modelType: string;
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
}

const VLM_TYPES = new Set(['idefics3', 'smolvlm']);


function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

export function inspectModelDir(dir: string): ModelDir {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new EmbeddedModelError('model_not_found', `no config.json in ${dir}`);
  const config = readJson(configPath);
  const genPath = join(dir, 'generation_config.json');
  const generationConfig = existsSync(genPath) ? readJson(genPath) : {};
  const modelType = String(config.model_type ?? '');
  let kind: ModelKind;
  if (modelType === 'whisper') kind = 'whisper';
  else if (VLM_TYPES.has(modelType)) kind = 'vision-language';
  else if (config.vision_config) {
    throw new EmbeddedModelError('model_layout_unsupported', `vision-language model type '${modelType}' is not supported (Idefics3/SmolVLM are)`);
  } else kind = 'causal-lm';
  return { dir, kind, modelType, config, generationConfig };
}

/**
 * `onnx/<base><suffix>.onnx` for a dtype (`q8` -> `_quantized`, as transformers.js names it), also
 * accepting the literal `onnx/<base>_<dtype>.onnx`. Missing file: an error listing what is there.
 */
export function onnxFile(dir: string, base: string, dtype?: string): string {
  const wanted = dtype && dtype !== 'fp32' ? dtype : 'fp32';
  const candidates = [`${base}${DTYPE_SUFFIX[wanted] ?? `_${wanted}`}.onnx`, `${base}_${wanted}.onnx`];
  if (wanted === 'fp32') candidates.unshift(`${base}.onnx`);
  for (const name of candidates) {
    const path = join(dir, 'onnx', name);
    if (existsSync(path)) return path;
  }
  const present = existsSync(join(dir, 'onnx')) ? readdirSync(join(dir, 'onnx')).filter((f) => f.startsWith(base)) : [];
  throw new EmbeddedModelError(
    'model_layout_unsupported',
    `no ${base} ONNX file for dtype '${wanted}' in ${join(dir, 'onnx')} (present: ${present.join(', ') || 'none'})`,
  );
}

/** Bytes on disk of an ONNX file and its external data (`<file>_data`, `<file>.data`). */
export function onnxBytes(path: string): number {
  let total = statSync(path).size;
  for (const extra of [`${path}_data`, `${path}.data`]) if (existsSync(extra)) total += statSync(extra).size;
  return total;
}

/** eos ids from generation_config.json, then config.json (a number or a list in both). */
export function eosTokenIds(model: ModelDir): number[] {
  const out = new Set<number>();
  for (const source of [model.generationConfig.eos_token_id, model.config.eos_token_id]) {
    if (typeof source === 'number') out.add(source);
    else if (Array.isArray(source)) for (const id of source) if (typeof id === 'number') out.add(id);
  }
  return [...out];
}

/** The text decoder's config: top level for LLMs, `text_config` for VLMs. */
export function textConfig(model: ModelDir): Record<string, unknown> {
  return (model.config.text_config as Record<string, unknown> | undefined) ?? model.config;
}

// Which files of a hub repository Duet needs: the configs, tokenizer and processor files, and the
// ONNX files of one dtype (transformers.js naming: onnx/<name><suffix>.onnx plus external data).

import type { HubFile } from './hub-api.js';
import { DTYPE_SUFFIX as SUFFIX } from './dtypes.js';


const SUPPORT_FILES = new Set([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'normalizer.json',
  'preprocessor_config.json',
  'processor_config.json',
  'chat_template.json',
  'chat_template.jinja',
]);

/** The ONNX base names of our layouts (decoder-only, Whisper, Idefics3/SmolVLM). */
const ONNX_BASES = ['model', 'encoder_model', 'decoder_model_merged', 'vision_encoder', 'embed_tokens'];

export function knownDtypes(): string[] {
  return Object.keys(SUFFIX);
}

export function selectFiles(files: readonly HubFile[], dtype: string): HubFile[] {
  const suffix = SUFFIX[dtype];
  if (suffix === undefined) throw new Error(`unknown dtype '${dtype}' (known: ${knownDtypes().join(', ')})`);
  const wanted = new Set(ONNX_BASES.map((base) => `onnx/${base}${suffix}.onnx`));
  return files.filter((f) => {
    if (SUPPORT_FILES.has(f.path)) return true;
    if (wanted.has(f.path)) return true;
    // external weights: onnx/model.onnx_data, onnx/model.onnx_data_1, onnx/model.onnx.data
    const base = f.path.replace(/(_data(_\d+)?|\.data)$/, '');
    return base !== f.path && wanted.has(base);
  });
}

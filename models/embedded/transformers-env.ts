// transformers.js reads models from local directories only: Duet never reaches the hub at run
// time (`npm run models:pull` is the one command that downloads).

import { env, LogLevel } from '@huggingface/transformers';

let done = false;

export function useLocalModelsOnly(): void {
  if (done) return;
  done = true;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.logLevel = LogLevel.ERROR;
}

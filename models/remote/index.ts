// Remote model instances on OpenAI-compatible engines (vLLM, llama.cpp server,
// Ollama, OpenAI). See README.md in this folder.

export { createRemoteModelSet, DEFAULT_REMOTE_STATE_TOKENS } from './model-set.js';
export type { RemoteModelSet, RemoteModelSetOptions, RemoteProbe } from './model-set.js';
export { REMOTE_ERROR_CODES, RemoteEngineError, isRemoteEngineError } from './errors.js';
export type { RemoteErrorCode, RemoteRole } from './errors.js';
export type { RemoteLog, RetryPolicy } from './engine-client.js';
export type { MonitorMethod, ConstrainedChoice } from './monitor.js';
export { DEFAULT_MONITOR_INSTRUCTIONS } from './monitor.js';
export { stateDistribution } from './state-tokens.js';

// Child-process entry: the load generator. Runs the tasks the parent sends, one at a time.
//   parent -> child: {type: 'run', id, task, params} | {type: 'stop'}
//   child -> parent: {type: 'ready'} | {type: 'result', id, result} | {type: 'failed', id, message}
import { runAudioTrial, type AudioTrialParams } from './audio-load.js';
import { runDuplexLevel, type DuplexLevelParams } from './duplex-load.js';
import { runInterruption, type InterruptionParams } from './interruption-load.js';
import { runConversationLevel, type ConversationLevelParams } from '../conversation/load.js';
import type { WorkerTask } from './processes.js';

const tasks: Record<WorkerTask, (params: never) => Promise<unknown>> = {
  'audio-trial': (p: AudioTrialParams) => runAudioTrial(p),
  'duplex-level': (p: DuplexLevelParams) => runDuplexLevel(p),
  interruption: (p: InterruptionParams) => runInterruption(p),
  conversation: (p: ConversationLevelParams) => runConversationLevel(p),
};

process.on('message', (m: { type?: string; id?: number; task?: WorkerTask; params?: unknown }) => {
  if (m?.type === 'stop') process.exit(0);
  if (m?.type !== 'run' || !m.task) return;
  const run = tasks[m.task] as (params: unknown) => Promise<unknown>;
  run(m.params).then(
    (result) => process.send?.({ type: 'result', id: m.id, result }),
    (err: unknown) => process.send?.({ type: 'failed', id: m.id, message: (err as Error).stack ?? String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });

// The start-up report: one short block in the log, the same data as /readyz.

import type { CapabilityRow } from './capability-report.js';
import { reportLines } from './capability-report.js';
import { readiness, type HealthDeps } from './http/health.js';

export interface ReportLog {
  info: (obj: object, msg: string) => void;
}

export function logCapabilityReport(log: ReportLog, deps: HealthDeps, title = 'start-up report'): void {
  const { status, body } = readiness(deps);
  const rows = Object.entries(body.capabilities as Record<string, Omit<CapabilityRow, 'capability'>>).map(([capability, s]) => ({ ...s, capability }) as CapabilityRow);
  const answers = body.can_answer ? 'answers: yes' : 'answers: no';
  const readyz = `/readyz ${status}${!body.can_answer && deps.config.server.readyWithoutModels ? ' (server.readyWithoutModels)' : ''}`;
  log.info({ report: 'capabilities', ready: body.ready, can_answer: body.can_answer }, `${title}: ${answers}; sessions accepted: ${body.accepting_sessions ? 'yes' : 'no'}; ${readyz}`);
  for (const [i, line] of reportLines(rows).entries()) log.info({ report: 'capabilities', capability: rows[i]!.capability }, `  ${line}`);
}

import type { ExecdCommandRow } from './rows.js';
import type { ExecEvent } from './types.js';

/** How a command that ended is reported: upstream says -1 for a process berth killed (timeout, interrupt). */
export function exitOf(row: Pick<ExecdCommandRow, 'killedByBerth'>, engineExitCode: number | null): number | null {
  return row.killedByBerth ? -1 : engineExitCode;
}

export function errorTextOf(row: Pick<ExecdCommandRow, 'killedByBerth' | 'error'>, exitCode: number | null): string | null {
  if (row.killedByBerth) return row.error ?? 'signal: killed';
  if (exitCode === null) return 'exit status unknown';
  return exitCode === 0 ? null : `exit status ${exitCode}`;
}

/** The stream's one closing event: execution_complete for exit 0, else error with the exit code as evalue. */
export function finalEvent(exitCode: number | null, errorText: string | null, startedAt: number, now: number): ExecEvent {
  if (exitCode === 0) return { type: 'execution_complete', execution_time: now - startedAt, timestamp: now };
  const evalue = exitCode === null ? (errorText ?? 'unknown') : String(exitCode);
  return { type: 'error', error: { ename: 'CommandExecError', evalue, traceback: [errorText ?? `exit status ${evalue}`] }, timestamp: now };
}

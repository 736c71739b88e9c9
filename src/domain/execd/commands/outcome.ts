import type { CommandOutcome } from '../../metrics.js';
import type { ExecEvent } from './types.js';

/** The metrics' class of an exit code (-1 is berth's own kill: Docker reports a signal death as 128+n). */
export const commandOutcome = (exitCode: number | null): CommandOutcome =>
  exitCode === null ? 'unknown' : exitCode === 0 ? 'ok' : exitCode === -1 ? 'killed' : 'error';

/** The stream's one closing event: execution_complete for exit 0, else error with the exit code as evalue. */
export function finalEvent(exitCode: number | null, errorText: string | null, startedAt: number, now: number): ExecEvent {
  if (exitCode === 0) return { type: 'execution_complete', execution_time: now - startedAt, timestamp: now };
  const evalue = exitCode === null ? (errorText ?? 'unknown') : String(exitCode);
  return { type: 'error', error: { ename: 'CommandExecError', evalue, traceback: [errorText ?? `exit status ${evalue}`] }, timestamp: now };
}

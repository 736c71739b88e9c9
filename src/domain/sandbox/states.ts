/** Spec state names (DESIGN.md upstream §3). Pausing/Resuming/Stopping are real here: they mark an in-flight transition. */
export { SANDBOX_STATES, type SandboxState } from '../../db/schema/sandboxes.js';
import type { SandboxState } from '../../db/schema/sandboxes.js';
import { SANDBOX_STATES } from '../../db/schema/sandboxes.js';

/** Which states each operation may start from. Anything else is a 409. */
export const CAN_PAUSE: readonly SandboxState[] = ['Running'];
export const CAN_RESUME: readonly SandboxState[] = ['Paused'];
/** The container is gone or finished: a Docker 'die'/'destroy' cannot move these further. */
export const FINISHED: readonly SandboxState[] = ['Terminated', 'Failed'];
/** A container exit observed in these states is news (the user did not ask for it). */
export const LIVE_WITH_CONTAINER: readonly SandboxState[] = ['Running', 'Pausing', 'Paused', 'Resuming'];

export function isState(s: string): s is SandboxState {
  return (SANDBOX_STATES as readonly string[]).includes(s);
}

/** Upstream's mapping of a finished container: exit 0 is Terminated, anything else Failed. */
export function stateForExit(exitCode: number | null): { state: SandboxState; reason: string; message: string } {
  if (exitCode === 0) return { state: 'Terminated', reason: 'container_exited', message: 'Sandbox container exited successfully.' };
  return {
    state: 'Failed',
    reason: 'container_exited',
    message: exitCode === null ? 'Sandbox container exited.' : `Sandbox container exited with code ${exitCode}.`,
  };
}

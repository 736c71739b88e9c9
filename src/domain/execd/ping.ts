import type { Deps } from '../deps.js';
import { conflict } from '../errors.js';
import { execTarget } from './target.js';

/**
 * Ready when the row says Running AND the engine agrees (a container paused or stopped behind berth's back
 * answers 409 too). One inspect, no exec: it works in any image and costs nothing at create.
 */
export async function pingSandbox(deps: Pick<Deps, 'db' | 'config' | 'runtime'>, sandboxId: string): Promise<void> {
  const target = await execTarget(deps, sandboxId);
  const state = await deps.runtime.inspect(target.containerId);
  if (!state?.running) throw conflict('SANDBOX_NOT_RUNNING', `Sandbox ${sandboxId} is not running.`);
  if (state.paused) throw conflict('SANDBOX_PAUSED', `Sandbox ${sandboxId} is paused.`);
}

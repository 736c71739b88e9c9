import type { Deps } from '../deps.js';
import { conflict } from '../errors.js';
import { getSandbox } from '../sandbox/get-sandbox.js';

export type ExecTarget = { sandboxId: string; containerId: string; paused: boolean };

/**
 * The container behind a sandbox's execd. Commands need it Running (the engine refuses exec on a paused
 * container); the archive API also works on a paused one, so file calls pass `allowPaused`. Anything else
 * answers 409 at once, before a stream or an upload is read.
 */
export async function execTarget(deps: Pick<Deps, 'db' | 'config'>, sandboxId: string, opts: { allowPaused?: boolean } = {}): Promise<ExecTarget> {
  const row = await getSandbox(deps, sandboxId);
  const paused = row.state === 'Paused';
  if (paused && !opts.allowPaused) throw conflict('SANDBOX_PAUSED', `Sandbox ${row.id} is Paused; resume it first.`);
  if ((row.state !== 'Running' && !paused) || !row.containerId) throw conflict('SANDBOX_NOT_RUNNING', `Sandbox ${row.id} is ${row.state}, not Running.`);
  // The engine socket is this host's: another host's sandbox is not in it.
  if (row.hostId !== deps.config.hostId) throw conflict('SANDBOX::PROXY_OTHER_HOST', `Sandbox ${row.id} runs on another host; use that host's endpoint.`);
  return { sandboxId: row.id, containerId: row.containerId, paused };
}

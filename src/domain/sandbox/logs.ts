import type { Deps } from '../deps.js';
import { conflict } from '../errors.js';
import { getSandbox } from './get-sandbox.js';
import type { LogChunk } from './logs-port.js';

/** A sandbox's container output: its last `tail` lines, then live until the caller aborts. */
export async function streamSandboxLogs(
  deps: Pick<Deps, 'db' | 'containerLogs'>,
  sandboxId: string,
  opts: { tail: number; signal: AbortSignal },
): Promise<AsyncIterable<LogChunk>> {
  const s = await getSandbox(deps, sandboxId);
  if (!s.containerId) throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${sandboxId} has no container yet.`);
  return deps.containerLogs.stream(s.containerId, { tail: opts.tail, follow: true, signal: opts.signal });
}

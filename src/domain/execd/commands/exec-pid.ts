import type { ExecStatus, SandboxExec } from '../port.js';

/**
 * The engine reports an exec's host pid a moment after `start` returns (0 before). Wait for it before
 * telling the client the command exists, so an interrupt right after `init` has a process group to signal.
 * A command that already ended has no pid to wait for.
 */
export async function waitForPid(exec: Pick<SandboxExec, 'inspect'>, execId: string, timeoutMs = 2000): Promise<ExecStatus | null> {
  const until = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const status = await exec.inspect(execId);
    if (!status || status.hostPid > 0 || !status.running || Date.now() > until) return status;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 20);
  }
}

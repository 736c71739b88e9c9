import type { ExecStatus, SandboxExec } from '../port.js';

/**
 * The engine reports an exec's host pid only once runc has started the process, tens of milliseconds after
 * `start` returned (0 before; so is `running`, so only an exit code says it is over). Whoever must signal
 * the process (interrupt, timeout), or know it has started (the freeze gate), waits for it here; a command
 * that already ended, or whose output ended (`until`), has no pid to wait for.
 */
export async function waitForPid(exec: Pick<SandboxExec, 'inspect'>, execId: string, until?: Promise<unknown>, timeoutMs = 5000): Promise<ExecStatus | null> {
  const deadline = Date.now() + timeoutMs;
  let over = false;
  void until?.then(() => (over = true));
  let delay = 1;
  for (;;) {
    const status = await exec.inspect(execId);
    if (!status || status.hostPid > 0 || status.exitCode !== null || over || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 4);
  }
}

/** The pid to signal: the recorded one, else the engine's (the recording may still be on its way). */
export async function hostPidOf(exec: Pick<SandboxExec, 'inspect'>, row: { hostPid: number; execId: string | null }): Promise<number> {
  if (row.hostPid > 0 || row.execId === null) return row.hostPid;
  return (await waitForPid(exec, row.execId))?.hostPid ?? 0;
}

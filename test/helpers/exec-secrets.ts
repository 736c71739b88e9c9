import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { expect } from 'vitest';

/**
 * Where a secret given to a command must not show while it runs: the engine's inspect of each of the
 * container's execs, and the host's /proc/<pid>/cmdline (world-readable) of the running ones. At least one
 * exec must be running, so the check is not vacuous.
 */
export async function expectNotInExecs(docker: Docker, containerId: string, secret: string): Promise<void> {
  const pids: number[] = [];
  for (const execId of ((await docker.getContainer(containerId).inspect()).ExecIDs ?? []) as string[]) {
    const info = await docker.getExec(execId).inspect();
    expect(JSON.stringify(info)).not.toContain(secret);
    if (info.Running && info.Pid > 0) pids.push(info.Pid);
  }
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(secret);
}

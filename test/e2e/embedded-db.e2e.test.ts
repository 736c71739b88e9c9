import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

// The default berth (no DATABASE_URL) runs its database as a Postgres child process in the data folder.
// Whatever way the server ends, no postmaster may outlive it, and the next start finds the data.
const dirs: string[] = [];
const instances: string[] = [];
afterAll(async () => {
  for (const id of instances) await removeInstanceContainers(id);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const postmasterPid = (dataDir: string) => Number(readFileSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\)\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
const parentOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

async function serverOn(dataDir: string): Promise<ServerProc> {
  const server = await startServer({ dataDir });
  instances.push(server.instanceId);
  return server;
}

async function createSandbox(server: ServerProc): Promise<string> {
  const body = { image: { uri: 'berth-base:latest' }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: {}, timeout: 600 };
  const res = await server.api('/v1/sandboxes', { method: 'POST', body: JSON.stringify(body) });
  const json = (await res.json()) as { id: string };
  expect(res.status).toBe(202);
  return json.id;
}

describe('the embedded default database with a real server process', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: the server stops its postmaster before it exits`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'berth-e2e-embedded-'));
      dirs.push(dataDir);
      const server = await serverOn(dataDir);
      expect(server.lines.some((l) => l.includes('"berth listening"') && l.includes('"db":"postgres"'))).toBe(true);
      const pid = postmasterPid(dataDir);
      expect(parentOf(pid)).toBe(server.child.pid);
      await server.kill(signal);
      expect(server.child.exitCode).toBe(0);
      expect(alive(pid)).toBe(false);
    });
  }

  it('SIGKILL: the postmaster goes with the server, and a restart on the folder serves the same sandboxes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-e2e-embedded-'));
    dirs.push(dataDir);
    const first = await serverOn(dataDir);
    const id = await createSandbox(first);
    const pid = postmasterPid(dataDir);
    await first.kill('SIGKILL');
    await waitUntil('the postmaster of the killed server to exit', async () => !alive(pid), 30_000, 50);

    const second = await serverOn(dataDir);
    try {
      expect(postmasterPid(dataDir)).not.toBe(pid);
      const res = await second.api(`/v1/sandboxes/${id}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: { state: string } }).status.state).toBe('Running');
      const del = await second.api(`/v1/sandboxes/${id}`, { method: 'DELETE' });
      expect(del.status).toBe(204);
    } finally {
      await second.kill();
    }
  });
});

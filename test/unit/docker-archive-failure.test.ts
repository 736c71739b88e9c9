import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSandboxExec } from '../../src/adapters/docker/sandbox-exec.js';

// An engine stand-in on a unix socket: every archive call answers 500 (with no body for HEAD, as the real
// engine does while it removes a container), and the container's inspect answers what the test sets.
// Which answer a client gets depends on what the container turned out to be.
let inspectAnswer: { status: number; body: unknown };
let server: Server;
let dir: string;
let exec: DockerSandboxExec;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-fake-engine-'));
  const socketPath = join(dir, 'engine.sock');
  server = createServer((req, res) => {
    if (/\/containers\/[^/]+\/json/.test(req.url ?? '')) {
      res.writeHead(inspectAnswer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(inspectAnswer.body));
      return;
    }
    req.resume();
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ message: 'RWLayer of container c1 is unexpectedly nil' }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  exec = new DockerSandboxExec(new Docker({ socketPath }), socketPath);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const state = (s: Partial<{ Status: string; Running: boolean; Paused: boolean; Dead: boolean }>) => ({
  status: 200,
  body: { Id: 'c1', State: { Status: 'running', Running: true, Paused: false, Dead: false, ...s } },
});

describe('a 5xx from the archive API', () => {
  it('is SANDBOX_NOT_RUNNING (409) while the engine removes the container', async () => {
    inspectAnswer = state({ Status: 'removing', Running: false });
    await expect(exec.stat('c1', '/tmp')).rejects.toMatchObject({ kind: 'conflict', code: 'SANDBOX_NOT_RUNNING' });
    await expect(exec.readArchive('c1', '/tmp')).rejects.toMatchObject({ kind: 'conflict', code: 'SANDBOX_NOT_RUNNING' });
  });

  it('is DOCKER::SANDBOX_NOT_FOUND (404) once the container is gone', async () => {
    inspectAnswer = { status: 404, body: { message: 'No such container: c1' } };
    await expect(exec.stat('c1', '/tmp')).rejects.toMatchObject({ kind: 'not_found', code: 'DOCKER::SANDBOX_NOT_FOUND' });
  });

  it('stays a runtime failure (500) when the container is running, or paused, and the engine still fails', async () => {
    for (const s of [state({}), state({ Paused: true, Status: 'paused' })]) {
      inspectAnswer = s;
      await expect(exec.readArchive('c1', '/tmp')).rejects.toMatchObject({ kind: 'runtime', code: 'RUNTIME_ERROR' });
      await expect(exec.stat('c1', '/tmp')).rejects.toMatchObject({ kind: 'runtime', code: 'RUNTIME_ERROR', message: expect.stringContaining('(500)') });
    }
  });
});

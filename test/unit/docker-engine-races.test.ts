import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { volumeDoesNotFit, withoutHostPaths } from '../../src/adapters/docker/docker-errors.js';
import { DockerSandboxExec } from '../../src/adapters/docker/sandbox-exec.js';
import { RecordingLogger } from '../fakes/recording-logger.js';

// An engine stand-in on a unix socket, answering as the real engine (20.10) does to calls that race a
// container's removal: every archive call 500 (with no body for HEAD), the container's inspect what the test
// sets, pause a 500 "cannot pause a stopped container", and remove a 500 from the storage driver as many
// times as the test says before it succeeds.
let inspectAnswer: { status: number; body: unknown };
let failedRemovals = 0;
let removeCalls = 0;
let removeFailure = 'container c1: driver "overlay2" failed to remove root filesystem: unlinkat /var/lib/docker/overlay2/x: directory not empty';
let server: Server;
let dir: string;
let exec: DockerSandboxExec;
let runtime: DockerodeRuntime;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-fake-engine-'));
  const socketPath = join(dir, 'engine.sock');
  server = createServer((req, res) => {
    if (/\/containers\/[^/]+\/stats/.test(req.url ?? '')) return; // an engine that never answers (a wedged container's stats)
    if (/\/containers\/[^/]+\/json/.test(req.url ?? '')) {
      res.writeHead(inspectAnswer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(inspectAnswer.body));
      return;
    }
    req.resume();
    if (req.method === 'DELETE') {
      removeCalls++;
      if (removeCalls > failedRemovals) return void res.writeHead(204).end();
      return void res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: removeFailure }));
    }
    if (req.url?.endsWith('/pause')) {
      const message = 'Cannot pause container c1: cannot pause a stopped container: unknown';
      return void res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message }));
    }
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ message: 'RWLayer of container c1 is unexpectedly nil' }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  exec = new DockerSandboxExec(new Docker({ socketPath }), socketPath, 300);
  runtime = new DockerodeRuntime(new Docker({ socketPath }), new RecordingLogger());
});

afterAll(async () => {
  server.closeAllConnections();
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

describe('lifecycle calls racing a removal', () => {
  it('a pause of a container the engine stopped meanwhile is a 409 conflict, not a 500', async () => {
    await expect(runtime.pause('c1')).rejects.toMatchObject({ kind: 'conflict', code: 'DOCKER::SANDBOX_NOT_RUNNING' });
  });

  it('a removal the storage driver failed part way is tried again until it succeeds', async () => {
    [failedRemovals, removeCalls] = [2, 0];
    await expect(runtime.remove('c1')).resolves.toBeUndefined();
    expect(removeCalls).toBe(3);
  });

  it('any other removal failure is not retried', async () => {
    [failedRemovals, removeCalls, removeFailure] = [5, 0, 'something else broke'];
    await expect(runtime.remove('c1')).rejects.toMatchObject({ code: 'DOCKER::SANDBOX_DELETE_FAILED', message: expect.stringContaining('something else') });
    expect(removeCalls).toBe(1);
  });
});

describe('an engine that stops answering', () => {
  it('gives a metrics call up after its bound, with a clear runtime error, instead of holding the request open', async () => {
    inspectAnswer = state({});
    // (without the bound the call never settles and the test runs into its timeout)
    await expect(exec.stats('c1')).rejects.toMatchObject({ kind: 'runtime', code: 'RUNTIME_ERROR', message: expect.stringContaining('did not answer') });
  });
});

describe("the engine's archive messages", () => {
  it('lose the host path of the container root, keeping the path inside the sandbox', () => {
    const root = '/var/lib/docker/overlay2/425cf7408843c3f212d5a55e828e0deba7d340a3dc4dd8a3e6cc6518b23ab5fe/merged';
    expect(withoutHostPaths(`evalSymlinksInScope: too many links in ${root}/tmp/s/loop`)).toBe('evalSymlinksInScope: too many links in /tmp/s/loop');
    expect(withoutHostPaths(`lstat ${root}/data/merged/f: not a directory`)).toBe('lstat /data/merged/f: not a directory');
    expect(withoutHostPaths('Could not find the file /tmp/x in container c1')).toBe('Could not find the file /tmp/x in container c1');
  });
});

const ROOT = '/var/lib/docker/overlay2/ce55aa9a37821b505d80b224b3d30a5239fe8b0dbd30d2e962802db5ba23e1ae/merged';

describe("runc's refusal of a volume that does not fit the image", () => {
  const runc = (source: string, at: string) =>
    `failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ` +
    `error mounting "${source}" to rootfs at "${at}": mount ${source}:${at} (via /proc/self/fd/6), flags: 0x5000: not a directory: unknown`;

  it('is a 400 naming the mountPath only, also where runc names the rootfs on the host or quotes a quote', () => {
    const root = '/var/lib/docker/overlay2/425cf7408843c3f212d5a55e828e0deba7d340a3dc4dd8a3e6cc6518b23ab5fe/merged';
    for (const [at, said] of [
      ['/data', '/data'],
      [`${root}/bin/busybox/x`, '/bin/busybox/x'],
      ['/a\\"b', '/a\\"b'],
    ]) {
      const err = volumeDoesNotFit(runc('/srv/berth/ossfs/m-1', at!), []);
      expect(err).toMatchObject({ kind: 'invalid', code: 'VOLUME::INVALID_MOUNT_PATH', message: expect.stringContaining(`'${said}'`) });
      expect(err!.message).not.toMatch(/srv\/berth|overlay2/);
    }
  });

  it("is read the same from the engine's create, where it copies the image into a new named volume, for a bind's target", () => {
    const err = volumeDoesNotFit(`lstat ${ROOT}/bin/busybox/x: not a directory`, ['fuzz-757:/bin/busybox/x', '/srv/h:/h:ro']);
    expect(err).toMatchObject({ kind: 'invalid', code: 'VOLUME::INVALID_MOUNT_PATH', message: expect.stringContaining("'/bin/busybox/x'") });
    expect(err!.message).not.toContain('overlay2');
    // onto a file
    expect(volumeDoesNotFit('source /bin/busybox is not directory', ['v:/bin/busybox'])).toMatchObject({ code: 'VOLUME::INVALID_MOUNT_PATH' });
    expect(volumeDoesNotFit('source /bin/busybox is not directory', ['v:/data'])).toBeNull();
  });

  it('leaves any other start failure alone', () => {
    expect(volumeDoesNotFit('error mounting "/x" to rootfs at "/data": permission denied', [])).toBeNull();
    expect(volumeDoesNotFit('exec: "tail": executable file not found in $PATH: not a directory', [])).toBeNull();
    // the create-time form, about a path no bind goes to
    expect(volumeDoesNotFit(`lstat ${ROOT}/etc/passwd/x: not a directory`, ['vol-1:/data'])).toBeNull();
  });
});

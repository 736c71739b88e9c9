import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { DomainError } from '../../src/domain/errors.js';
import { LABELS, type ContainerEvent, type ContainerSpec, type Logger } from '../../src/domain/ports.js';
import { waitForValue } from '../helpers/wait.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = randomBytes(4).toString('hex');
const instanceId = `it-${run}`;
const TEST_LABEL = 'berth.test-run';
const ENTRYPOINT_IMAGE = `berth-test-entrypoint:${run}`;

const logLines: string[] = [];
const log: Logger = {
  debug: (o, m) => void logLines.push(JSON.stringify([o, m])),
  info: (o, m) => void logLines.push(JSON.stringify([o, m])),
  warn: (o, m) => void logLines.push(JSON.stringify([o, m])),
  error: (o, m) => void logLines.push(JSON.stringify([o, m])),
  child: () => log,
};
const runtime = new DockerodeRuntime(docker, log);

let seq = 0;
function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: `berth-it-${run}-${++seq}`,
    image: 'berth-base:latest',
    cmd: ['tail', '-f', '/dev/null'],
    env: {},
    labels: { [LABELS.managed]: 'true', [LABELS.instance]: instanceId, [TEST_LABEL]: run },
    networkMode: 'bridge',
    publishedPorts: [],
    publishHostIp: '127.0.0.1',
    capDrop: [],
    securityOpt: [],
    binds: [],
    ...overrides,
  };
}

async function expectDomainError(p: Promise<unknown>, kind: string, code: string): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).kind).toBe(kind);
  expect((err as DomainError).code).toBe(code);
  return err as DomainError;
}

const waitFor = <T>(fn: () => Promise<T | undefined> | T | undefined, ms = 10_000) => waitForValue(fn, ms, 50);

beforeAll(async () => {
  await runtime.ping();
  // An image whose own ENTRYPOINT would exit 42: the user's command must replace it.
  const c = await docker.createContainer({ Image: 'berth-base:latest', Labels: { [TEST_LABEL]: run } });
  const [repo, tag] = ENTRYPOINT_IMAGE.split(':');
  await c.commit({ repo, tag, changes: 'ENTRYPOINT ["/bin/sh","-c","exit 42"]' });
  await c.remove({ force: true });
});

afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${run}`] } });
  await Promise.all(
    left.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  const vols = await docker.listVolumes({ filters: { label: [`${TEST_LABEL}=${run}`] } });
  await Promise.all(
    (vols.Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => {}),
    ),
  );
  await docker
    .getImage(ENTRYPOINT_IMAGE)
    .remove({ force: true })
    .catch(() => {});
});

describe('DockerodeRuntime against the local engine', () => {
  it('creates and starts with limits, security options, init and a published port', async () => {
    const s = spec({
      nanoCpus: 500_000_000,
      memoryBytes: 256 * 2 ** 20,
      pidsLimit: 128,
      capDrop: ['NET_RAW', 'MKNOD'],
      securityOpt: ['no-new-privileges:true'],
      publishedPorts: [8080],
      env: { HELLO: 'world' },
    });
    const state = await runtime.createAndStart(s);
    expect(state.status).toBe('running');
    expect(state.running).toBe(true);
    expect(state.paused).toBe(false);
    expect(state.pid).toBeGreaterThan(0);
    expect(state.labels[LABELS.instance]).toBe(instanceId);
    expect(state.ports['8080']).toBeGreaterThan(0);

    const info = await docker.getContainer(state.containerId).inspect();
    expect(info.Name).toBe(`/${s.name}`);
    expect(info.HostConfig.Memory).toBe(268_435_456);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.PidsLimit).toBe(128);
    expect(info.HostConfig.CapDrop).toEqual(['NET_RAW', 'MKNOD']);
    expect(info.HostConfig.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(info.HostConfig.Init).toBe(true);
    expect(info.Config.Env).toContain('HELLO=world');
    const binding = info.NetworkSettings.Ports['8080/tcp']![0]!;
    expect(binding.HostIp).toBe('127.0.0.1');
    expect(Number(binding.HostPort)).toBe(state.ports['8080']);
  });

  it("runs the user's command instead of the image's ENTRYPOINT", async () => {
    const tail = await runtime.createAndStart(spec({ image: ENTRYPOINT_IMAGE }));
    await new Promise((r) => setTimeout(r, 300));
    expect((await runtime.inspect(tail.containerId))?.status).toBe('running');

    const exit3 = await runtime.createAndStart(spec({ image: ENTRYPOINT_IMAGE, cmd: ['/bin/sh', '-c', 'exit 3'] }));
    const ended = await waitFor(async () => {
      const st = await runtime.inspect(exit3.containerId);
      return st?.status === 'exited' ? st : undefined;
    });
    expect(ended.exitCode).toBe(3);
    expect(ended.running).toBe(false);
    expect(ended.finishedAt).toBeInstanceOf(Date);
  });

  it('maps double pause and resume-while-running to 409 conflicts, and removes a paused container', async () => {
    const { containerId } = await runtime.createAndStart(spec());
    await runtime.pause(containerId);
    const paused = await runtime.inspect(containerId);
    expect([paused?.status, paused?.running, paused?.paused]).toEqual(['paused', true, true]);

    await expectDomainError(runtime.pause(containerId), 'conflict', 'DOCKER::SANDBOX_NOT_RUNNING');
    await runtime.unpause(containerId);
    expect((await runtime.inspect(containerId))?.status).toBe('running');
    await expectDomainError(runtime.unpause(containerId), 'conflict', 'DOCKER::SANDBOX_NOT_PAUSED');

    await runtime.pause(containerId);
    await runtime.remove(containerId);
    expect(await runtime.inspect(containerId)).toBeNull();
  });

  it('refuses to pause an exited container and reports missing ones as not found', async () => {
    const { containerId } = await runtime.createAndStart(spec({ cmd: ['/bin/true'] }));
    await waitFor(async () => ((await runtime.inspect(containerId))?.status === 'exited' ? true : undefined));
    await expectDomainError(runtime.pause(containerId), 'conflict', 'DOCKER::SANDBOX_NOT_RUNNING');
    await expectDomainError(runtime.pause(`missing-${run}`), 'not_found', 'DOCKER::SANDBOX_NOT_FOUND');
  });

  it('treats removing a missing container as done', async () => {
    await expect(runtime.remove(`missing-${run}`)).resolves.toBeUndefined();
    expect(await runtime.inspect(`missing-${run}`)).toBeNull();
  });

  it('removes the half-made container when start fails, and says it is the volume that does not fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-it-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    try {
      // Binding a file over a directory passes create and fails in the OCI runtime at start: the request's mistake.
      const s = spec({ binds: [`${file}:/bin`] });
      const err = await expectDomainError(runtime.createAndStart(s), 'invalid', 'VOLUME::INVALID_MOUNT_PATH');
      expect(err.message).toContain("A volume cannot be mounted at '/bin'");
      expect(err.message).not.toMatch(/overlay2|OCI runtime|a-file/);
      const left = await docker.listContainers({ all: true, filters: { name: [s.name] } });
      expect(left).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails a create on a name conflict without touching the existing container', async () => {
    const s = spec();
    const first = await runtime.createAndStart(s);
    await expectDomainError(runtime.createAndStart(s), 'runtime', 'DOCKER::SANDBOX_START_FAILED');
    expect((await runtime.inspect(first.containerId))?.status).toBe('running');
  });

  it('fails fast and cleanly when an image cannot be pulled, without leaking the password', async () => {
    const password = `pw-${run}-secret`;
    const started = Date.now();
    const err = await expectDomainError(
      runtime.ensureImage('127.0.0.1:5999/nope:latest', { username: 'u', password }),
      'runtime',
      'DOCKER::SANDBOX_IMAGE_PULL_FAILED',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.message).toMatch(/^Failed to pull image '127\.0\.0\.1:5999\/nope:latest': /);
    expect(err.message).not.toContain(password);
    expect(logLines.join('\n')).not.toContain(password);
  });

  it('answers 400 for a reference the engine will not parse, without a pull', async () => {
    // the create check lets a domain start with "-"; the engine's image inspect answers 400 "invalid reference format"
    const err = await expectDomainError(runtime.ensureImage('-x.io/nope:latest'), 'invalid', 'SANDBOX::INVALID_PARAMETER');
    expect(err.message).toMatch(/invalid reference format/);
    expect(logLines.join('\n')).not.toMatch(/pulling image.*-x\.io/);
  });

  it('does not pull an image that is present', async () => {
    await expect(runtime.ensureImage('berth-base:latest')).resolves.toBeUndefined();
  });

  it('lists only containers labelled with our instance, exited ones with their exit code', async () => {
    const running = await runtime.createAndStart(spec({ publishedPorts: [8080] }));
    const exited = await runtime.createAndStart(spec({ cmd: ['/bin/sh', '-c', 'exit 3'] }));
    const foreign = await runtime.createAndStart(spec({ labels: { [LABELS.managed]: 'true', [LABELS.instance]: `other-${run}`, [TEST_LABEL]: run } }));
    const unmanaged = await runtime.createAndStart(spec({ labels: { [LABELS.instance]: instanceId, [TEST_LABEL]: run } }));
    await waitFor(async () => ((await runtime.inspect(exited.containerId))?.status === 'exited' ? true : undefined));

    const owned = await runtime.listOwned(instanceId);
    const ids = owned.map((s) => s.containerId);
    expect(ids).toContain(running.containerId);
    expect(ids).toContain(exited.containerId);
    expect(ids).not.toContain(foreign.containerId);
    expect(ids).not.toContain(unmanaged.containerId);
    for (const s of owned) expect(s.labels[LABELS.instance]).toBe(instanceId);

    const r = owned.find((s) => s.containerId === running.containerId)!;
    expect([r.status, r.running, r.exitCode]).toEqual(['running', true, null]);
    expect(r.ports['8080']).toBe(running.ports['8080']);
    const x = owned.find((s) => s.containerId === exited.containerId)!;
    expect([x.status, x.running, x.exitCode]).toEqual(['exited', false, 3]);
    expect(x.finishedAt).toBeInstanceOf(Date);
  });

  it("streams a 'die' event with the exit code, only for our containers", async () => {
    const events: ContainerEvent[] = [];
    const errors: Error[] = [];
    const unsubscribe = runtime.subscribe(
      instanceId,
      (e) => events.push(e),
      (e) => errors.push(e),
    );
    try {
      await new Promise((r) => setTimeout(r, 500)); // let the events request reach the engine
      const foreign = await runtime.createAndStart(
        spec({ cmd: ['/bin/sh', '-c', 'exit 4'], labels: { [LABELS.managed]: 'true', [LABELS.instance]: `other-${run}`, [TEST_LABEL]: run } }),
      );
      const { containerId } = await runtime.createAndStart(spec({ cmd: ['/bin/sh', '-c', 'exit 3'] }));
      const die = await waitFor(() => events.find((e) => e.action === 'die' && e.containerId === containerId));
      expect(die.exitCode).toBe(3);
      expect(die.labels[LABELS.instance]).toBe(instanceId);
      expect(Math.abs(die.time.getTime() - Date.now())).toBeLessThan(30_000);
      expect(events.some((e) => e.containerId === containerId && e.action === 'start')).toBe(true);
      expect(events.some((e) => e.containerId === foreign.containerId)).toBe(false);
    } finally {
      unsubscribe();
    }
    await new Promise((r) => setTimeout(r, 200));
    const count = events.length;
    await runtime.createAndStart(spec({ cmd: ['/bin/true'] }));
    await new Promise((r) => setTimeout(r, 500));
    expect(events.length).toBe(count);
    expect(errors).toEqual([]);
  });

  it('reports a failed subscription through onError', async () => {
    const broken = new DockerodeRuntime(new Docker({ socketPath: `/tmp/no-such-docker-${run}.sock` }), log);
    const err = await new Promise<Error>((resolve) => broken.subscribe(instanceId, () => {}, resolve));
    expect(err).toBeInstanceOf(Error);
    await expectDomainError(broken.ping(), 'unavailable', 'DOCKER::INITIALIZATION_ERROR');
  });

  it('creates, inspects and removes named volumes', async () => {
    const name = `berth-it-vol-${run}`;
    expect(await runtime.inspectVolume(name)).toBeNull();
    await runtime.createVolume(name, { [LABELS.managed]: 'true', [TEST_LABEL]: run });
    const v = await runtime.inspectVolume(name);
    expect(v).toMatchObject({ name, driver: 'local', labels: { [LABELS.managed]: 'true', [TEST_LABEL]: run } });
    expect(v!.mountpoint).toMatch(/^\//);
    await runtime.removeVolume(name);
    expect(await runtime.inspectVolume(name)).toBeNull();
    await expect(runtime.removeVolume(name)).resolves.toBeUndefined();
  });

  it('commits a container (pausing a running one, keeping a paused one paused) and removes the image unless in use', async () => {
    const tag = `it-${run}`;
    const ref = `berth-snapshot:${tag}`;
    try {
      const src = await runtime.createAndStart(spec({ cmd: ['sh', '-c', 'echo from-commit > /marker && tail -f /dev/null'] }));
      await waitFor(async () => ((await docker.getContainer(src.containerId).inspect()).State.Running ? true : undefined));
      await new Promise((r) => setTimeout(r, 300)); // let the echo run
      const { imageId } = await runtime.commit(src.containerId, {
        repo: 'berth-snapshot',
        tag,
        labels: { [LABELS.snapshotId]: tag, [LABELS.instance]: instanceId },
      });
      expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
      const image = await docker.getImage(ref).inspect();
      expect(image.Id).toBe(imageId);
      expect(image.Config.Labels).toMatchObject({ [LABELS.snapshotId]: tag, [LABELS.instance]: instanceId });
      expect((await runtime.inspect(src.containerId))?.running).toBe(true);

      await runtime.pause(src.containerId);
      await runtime.commit(src.containerId, { repo: 'berth-snapshot', tag: `${tag}-paused`, labels: {} });
      expect((await runtime.inspect(src.containerId))?.paused).toBe(true);
      expect(await runtime.removeImage(`${ref}-paused`)).toBe('removed');
      await runtime.remove(src.containerId);

      // A label value that would need quoting is refused before the engine sees it.
      await expect(runtime.commit('nope', { repo: 'berth-snapshot', tag, labels: { a: 'x y' } })).rejects.toThrow();
      await expectDomainError(runtime.commit('berth-no-such-container', { repo: 'berth-snapshot', tag, labels: {} }), 'not_found', 'DOCKER::SANDBOX_NOT_FOUND');

      const user = await runtime.createAndStart(spec({ image: ref }));
      expect(await runtime.removeImage(ref)).toBe('in_use');
      await runtime.remove(user.containerId);
      expect(await runtime.removeImage(ref)).toBe('removed');
      expect(await runtime.removeImage(ref)).toBe('absent');
    } finally {
      for (const r of [ref, `${ref}-paused`])
        await docker
          .getImage(r)
          .remove({ force: true })
          .catch(() => {});
    }
  });
});

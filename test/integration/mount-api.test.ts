import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { events, mountRefs, mounts } from '../../src/db/schema/index.js';
import { handleError, validationHook } from '../../src/http/errors.js';
import { registerMountRoutes } from '../../src/http/routes/mounts.js';
import type { SandboxVolumes } from '../../src/domain/volumes/port.js';
import { createSandboxVolumes } from '../../src/domain/volumes/sandbox-volumes.js';
import { buildTestApp, createBody, type TestApp } from '../helpers/app.js';
import { FakeMounter } from '../fixtures/fake-mounter.js';
import { buildMountDeps, TEST_SECRET } from '../fixtures/mount-deps.js';

// Volumes through the lead's create/delete verbs and HTTP API, with the real ledger on Postgres and a
// counting fake mounter; and the read-only mount routes.
let t: TestApp;
let mounter: FakeMounter;
let mountDeps: ReturnType<typeof buildMountDeps>;
let routes: OpenAPIHono;
let dir: string;
const order: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-mount-api-'));
  await mkdir(join(dir, 'allowed'), { recursive: true });
  await symlink('/etc', join(dir, 'allowed/etc-link'));
  await writeFile(join(dir, 'allowed/file.txt'), 'x');
  let real: SandboxVolumes | null = null;
  const lazy: SandboxVolumes = {
    prepare: (...a) => real!.prepare(...a),
    acquire: (...a) => real!.acquire(...a),
    materialize: (...a) => real!.materialize(...a),
    release: (...a) => real!.release(...a),
    dropReferences: (...a) => real!.dropReferences(...a),
    unmountUnreferenced: (...a) => real!.unmountUnreferenced(...a),
  };
  t = await buildTestApp('postgres', { volumes: lazy, config: { allowedHostPaths: [join(dir, 'allowed')] } });
  mounter = new FakeMounter();
  mountDeps = buildMountDeps({ db: t.deps.db, mounter, runtime: t.runtime, config: { allowedHostPaths: [join(dir, 'allowed')] } });
  real = createSandboxVolumes(mountDeps);
  const remove = t.runtime.remove.bind(t.runtime);
  t.runtime.remove = async (id) => {
    order.push('container removed');
    return remove(id);
  };
  mounter.onUnmount = async () => {
    order.push('unmount');
  };
  routes = new OpenAPIHono({ defaultHook: validationHook });
  routes.onError(handleError(t.log));
  registerMountRoutes(routes, t.deps);
});
afterAll(async () => {
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  order.length = 0;
});

const oss = (over: Record<string, unknown> = {}) => ({
  name: 'data',
  mountPath: '/data',
  ossfs: { bucket: 'api-bucket', endpoint: 'oss.example.com', accessKeyId: 'AKID-api', accessKeySecret: TEST_SECRET, ...over },
});
const create = (volumes: unknown[]) => t.call('POST', '/v1/sandboxes', createBody({ volumes }));
const counts = async () => {
  const r = await t.deps.db.execute(sql`select (select count(*) from sandboxes where deleted_at is null)::int as s,
    (select count(*) from mount_refs)::int as r, (select count(*) from mounts where state <> 'unmounted')::int as m`);
  const row = (Array.isArray(r) ? r[0] : (r as { rows: unknown[] }).rows[0]) as { s: number; r: number; m: number };
  return { sandboxes: row.s, refs: row.r, liveMounts: row.m, volumes: t.runtime.volumes.size, containers: t.runtime.count };
};

describe('volumes through the sandbox API', () => {
  it.each([
    ['subPath traversal', [{ name: 'h', mountPath: '/h', subPath: '../..', host: { path: '/x' } }], 'VOLUME::INVALID_SUB_PATH'],
    [
      'a symlink escaping the allowlist',
      () => [{ name: 'h', mountPath: '/h', host: { path: join(dir, 'allowed/etc-link') } }],
      'VOLUME::HOST_PATH_NOT_ALLOWED',
    ],
    ['a path outside the allowlist', [{ name: 'h', mountPath: '/h', host: { path: '/etc' } }], 'VOLUME::HOST_PATH_NOT_ALLOWED'],
    // issue #10: these three were 500 VOLUME::HOST_PATH_CREATE_FAILED (the walk up the path met ENOTDIR)
    [
      'a host path below a regular file',
      () => [{ name: 'h', mountPath: '/h', host: { path: join(dir, 'allowed/file.txt/x/y') } }],
      'VOLUME::INVALID_HOST_PATH',
    ],
    [
      'a subPath below a regular file',
      () => [{ name: 'h', mountPath: '/h', subPath: 'file.txt/x', host: { path: join(dir, 'allowed') } }],
      'VOLUME::INVALID_HOST_PATH',
    ],
    [
      'a path below a file outside the allowlist, through a link (said as not allowed, nothing told of the file)',
      () => [{ name: 'h', mountPath: '/h', host: { path: join(dir, 'allowed/etc-link/passwd/x') } }],
      'VOLUME::HOST_PATH_NOT_ALLOWED',
    ],
    [
      'a host path component over 255 bytes',
      () => [{ name: 'h', mountPath: '/h', host: { path: join(dir, 'allowed', 'a'.repeat(256)) } }],
      'VOLUME::INVALID_HOST_PATH',
    ],
    [
      'a host path over 4096 bytes',
      () => [{ name: 'h', mountPath: '/h', host: { path: join(dir, 'allowed', ...Array.from({ length: 41 }, () => 'b'.repeat(100))) } }],
      'VOLUME::INVALID_HOST_PATH',
    ],
    // issue #10: a mount over the root or the kernel's file systems failed at container start (500)
    ['mountPath /', [{ name: 'p', mountPath: '/', pvc: { claimName: 'some-vol' } }], 'VOLUME::INVALID_MOUNT_PATH'],
    ['mountPath /proc', [{ name: 'p', mountPath: '/proc', pvc: { claimName: 'some-vol' } }], 'VOLUME::INVALID_MOUNT_PATH'],
    ['mountPath /sys/fs/cgroup', [{ name: 'p', mountPath: '/sys/fs/cgroup', pvc: { claimName: 'some-vol' } }], 'VOLUME::INVALID_MOUNT_PATH'],
    ['mountPath /dev', [{ name: 'p', mountPath: '/dev', pvc: { claimName: 'some-vol' } }], 'VOLUME::INVALID_MOUNT_PATH'],
    ['mountPath /tmp/../dev/shm', [{ name: 'p', mountPath: '/tmp/../dev/shm', pvc: { claimName: 'some-vol' } }], 'VOLUME::INVALID_MOUNT_PATH'],
    // issue #10: passed validation and reached the mount step
    ['an ossfs endpoint file:///etc', [oss({ endpoint: 'file:///etc' })], 'SANDBOX::INVALID_PARAMETER'],
    ['an unknown backend', [{ name: 'n', mountPath: '/n', nfs: { server: 'nfs.local', path: '/export' } }], 'VOLUME::UNSUPPORTED_BACKEND'],
    ['two backends', [{ name: 'n', mountPath: '/n', host: { path: '/x' }, pvc: { claimName: 'v' } }], 'VOLUME::INVALID_BACKEND'],
    ['an option with a leading -', [oss({ options: ['-o'] })], 'VOLUME::INVALID_OSSFS_OPTION'],
    ['an option with a newline', [oss({ options: ['ro\noss_bucket=other'] })], 'VOLUME::INVALID_OSSFS_OPTION'],
    ['a bucket the tool would misread', [oss({ bucket: 'bkt:/other' })], 'SANDBOX::INVALID_PARAMETER'],
    ['missing credentials', [oss({ accessKeySecret: undefined })], 'VOLUME::INVALID_OSSFS_CREDENTIALS'],
    [
      'a pvc that must exist but does not',
      [{ name: 'p', mountPath: '/p', pvc: { claimName: 'absent-vol', createIfNotExists: false } }],
      'VOLUME::PVC_NOT_FOUND',
    ],
  ])('%s answers 400 and leaves nothing behind', async (_l, vols, code) => {
    const before = await counts();
    const res = await create(typeof vols === 'function' ? vols() : vols);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe(code);
    expect(JSON.stringify(body)).not.toContain(TEST_SECRET);
    expect(await counts()).toEqual(before);
    expect(mounter.calls).toEqual([]);
    // nothing was made on the host either
    await expect(stat(join(dir, 'allowed/file.txt/x'))).rejects.toThrow();
  });

  it('create with a shared ossfs volume: 202, no secret in any answer; delete unmounts after the container is gone', async () => {
    const res = await create([oss()]);
    const text = await res.text();
    expect(res.status).toBe(202);
    expect(text).not.toContain(TEST_SECRET);
    const { id } = JSON.parse(text) as { id: string };
    const got = await t.call('GET', `/v1/sandboxes/${id}`);
    expect(await got.text()).not.toContain(TEST_SECRET);
    const spec = [...t.runtime.containers.values()].find((c) => c.spec.name === `sandbox-${id}`)!.spec;
    expect(spec.binds[0]).toMatch(/^\/mnt\/berth-test\/mnt_[0-9a-f]+:\/data:rw,rslave$/);
    expect(mounter.count('mount')).toBe(1);

    const list = await routes.request('/mounts');
    const listText = await list.text();
    expect(list.status).toBe(200);
    expect(listText).not.toContain(TEST_SECRET);
    const item = (JSON.parse(listText) as { items: Array<Record<string, unknown>> }).items.find((m) => (m.sandboxes as string[]).includes(id))!;
    expect(item).toMatchObject({ state: 'mounted', health: 'ok', references: 1, backend: 'ossfs' });
    expect(item.identity).toMatchObject({ bucket: 'api-bucket', endpoint: 'https://oss.example.com', version: '2.0', prefix: '' });
    const one = await routes.request(`/mounts/${item.id as string}`);
    expect(((await one.json()) as { sandboxes: string[] }).sandboxes).toEqual([id]);

    const del = await t.call('DELETE', `/v1/sandboxes/${id}`);
    expect(del.status).toBe(204);
    expect(order).toEqual(['container removed', 'unmount']);
    const after = (await (await routes.request(`/mounts/${item.id as string}`)).json()) as { state: string; references: number };
    expect(after).toMatchObject({ state: 'unmounted', references: 0 });
    const evs = await t.deps.db.select().from(events);
    expect(JSON.stringify(evs)).not.toContain(TEST_SECRET);
    expect(JSON.stringify(t.log.lines)).not.toContain(TEST_SECRET);
    expect(JSON.stringify(mountDeps.log.lines)).not.toContain(TEST_SECRET);
  });

  it('a failed mount answers 500 VOLUME::OSSFS_MOUNT_FAILED with scrubbed stderr and leaves no sandbox, reference or mount', async () => {
    const before = await counts();
    mounter.failMounts = { times: 1, message: `403 InvalidAccessKeyId secret=${TEST_SECRET}` };
    const res = await create([oss({ bucket: 'failing-bucket' })]);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('VOLUME::OSSFS_MOUNT_FAILED');
    expect(body.message).toContain('InvalidAccessKeyId');
    expect(body.message).not.toContain(TEST_SECRET);
    expect(await counts()).toEqual(before);
    expect(mounter.physical.size).toBe(0);
  });

  it('a create that fails after mounting releases what it acquired', async () => {
    const before = await counts();
    t.runtime.failNext('start');
    const res = await create([oss({ bucket: 'late-failure' }), { name: 'p', mountPath: '/p', pvc: { claimName: 'made-for-failed-create' } }]);
    expect(res.status).toBe(500);
    expect(await counts()).toEqual(before);
    expect(mounter.count('unmount')).toBe(mounter.count('mount'));
    expect(t.runtime.volumes.has('made-for-failed-create')).toBe(false);
  });

  it('GET /mounts/{id} of an unknown mount is 404; the state filter selects history', async () => {
    const res = await routes.request('/mounts/mnt_nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('MOUNT::NOT_FOUND');
    const hist = (await (await routes.request('/mounts?state=unmounted')).json()) as { items: Array<{ state: string }> };
    expect(hist.items.length).toBeGreaterThan(0);
    expect(hist.items.every((m) => m.state === 'unmounted')).toBe(true);
    const bad = await routes.request('/mounts?state=bogus');
    expect(bad.status).toBe(400);
  });

  it('the server app serves the mount routes under /v1 with the API key', async () => {
    const res = await t.call('GET', '/v1/mounts?state=unmounted');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const anon = await t.app.request('/v1/mounts');
    expect(anon.status).toBe(401);
  });

  it('the ledger rows hold no secret in clear', async () => {
    const rows = await t.deps.db.select().from(mounts);
    const refs = await t.deps.db.select().from(mountRefs);
    expect(JSON.stringify({ rows, refs })).not.toContain(TEST_SECRET);
  });
});

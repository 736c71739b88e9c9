import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/domain/volumes/ledger/mount-rows.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../fixtures/docker-exec.js';
import {
  BUCKET,
  checkInvariants,
  containerOf,
  createMountWorld,
  createSandbox,
  deleteSandbox,
  fuseMountsUnderRoot,
  recorded,
  type MountWorld,
} from '../fixtures/mount-e2e.js';
import { startMountServer, type MountServer } from '../fixtures/mount-server.js';

// Through the HTTP API of real server processes (two of them sharing the database and the host), real
// Docker, real FUSE (s3rver + s3fs behind the ossfs2 stand-in).
let w: MountWorld;
let a: MountServer;
let b: MountServer;

beforeAll(async () => {
  w = await createMountWorld();
  // server a also takes host volumes under one folder: a directory and a regular file in it
  await mkdir(join(w.work, 'host', 'dir'), { recursive: true });
  await writeFile(join(w.work, 'host', 'file'), 'host file');
  a = await startMountServer({
    databaseUrl: w.testDb.url,
    dataDir: w.dataDir,
    mountRoot: w.mountRoot,
    env: w.serverEnv({ BERTH_ALLOWED_HOST_PATHS: join(w.work, 'host') }),
  });
  b = await startMountServer({ databaseUrl: w.testDb.url, dataDir: w.dataDir, mountRoot: w.mountRoot, env: w.serverEnv() });
});
afterAll(async () => {
  await a?.kill();
  await b?.kill();
  await w?.close();
});

async function cmdlinesContaining(needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) hits.push(pid);
  }
  return hits;
}

describe('shared ossfs mounts through two berth processes', () => {
  it('50 sandboxes at once: one mount command, 50 references; 50 deletes at once: one unmount, after the last container is gone', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => createSandbox(i % 2 ? b : a, [w.volume('fifty')])));
    const mountsCmds = (await recorded(w)).filter((l) => l.startsWith('ossfs2 mount'));
    expect(mountsCmds).toHaveLength(1);

    const list = (await (await a.api('/v1/mounts')).json()) as { items: Array<{ id: string; hostPath: string; references: number; state: string }> };
    const shared = list.items.find((m) => m.references === 50);
    expect(shared).toMatchObject({ state: 'mounted', references: 50 });
    expect(await fuseMountsUnderRoot(w)).toEqual([shared!.hostPath]);

    // While mounted: the secret is in no process's arguments; a file one sandbox writes, another reads.
    expect(await cmdlinesContaining(w.secret)).toEqual([]);
    const first = (await containerOf(w, ids[0]!))!;
    const last = (await containerOf(w, ids[49]!))!;
    expect((await execIn(first, ['sh', '-c', 'echo shared-by-fifty > /data/f.txt'])).code).toBe(0);
    expect((await execIn(last, ['cat', '/data/f.txt'])).out.trim()).toBe('shared-by-fifty');
    expect((await w.s3.getObject(BUCKET, 'fifty/f.txt'))?.trim()).toBe('shared-by-fifty');
    expect(await checkInvariants(w)).toEqual([]);

    await Promise.all(ids.map((id, i) => deleteSandbox(i % 3 ? a : b, id)));
    const unmounts = (await recorded(w)).filter((l) => /^(fusermount3|fusermount|umount) /.test(l) && l.includes(shared!.hostPath));
    expect(unmounts).toHaveLength(1);
    expect(unmounts[0]).toMatch(/containers=0$/);
    expect(await fuseMountsUnderRoot(w)).toEqual([]);
    const after = (await (await a.api(`/v1/mounts/${shared!.id}`)).json()) as { state: string; references: number };
    expect(after).toMatchObject({ state: 'unmounted', references: 0 });
  });

  it('never shows a secret in an answer or a log line', async () => {
    const id = await createSandbox(a, [w.volume('secrets')]);
    for (const path of [`/v1/sandboxes/${id}`, '/v1/sandboxes', '/v1/mounts']) expect(await (await b.api(path)).text()).not.toContain(w.secret);
    await deleteSandbox(b, id);
    expect([...a.lines, ...b.lines].join('\n')).not.toContain(w.secret);
    expect((await recorded(w)).join('\n')).not.toContain(w.secret);
  });

  it('answers 400 for volumes the server cannot take, and leaves nothing behind', async () => {
    const before = await fuseMountsUnderRoot(w);
    for (const volumes of [
      [{ name: 'n', mountPath: '/n', nfs: { server: 'nfs.local', path: '/export' } }],
      [{ ...w.volume('x'), subPath: '../escape' }],
      [{ name: 'h', mountPath: '/h', host: { path: '/etc' } }],
      [{ ...w.volume('x'), ossfs: { ...(w.volume('x').ossfs as object), options: ['-o', 'allow_other'] } }],
    ]) {
      const res = await a.api('/v1/sandboxes', {
        method: 'POST',
        body: JSON.stringify({ image: { uri: 'berth-base:latest' }, entrypoint: ['tail'], resourceLimits: {}, timeout: 60, volumes }),
      });
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain(w.secret);
    }
    expect(await fuseMountsUnderRoot(w)).toEqual(before);
  });

  // found by the fuzz (seed 3978751804): runc's "not a directory" at container start answered 500 with the
  // engine's host paths in it
  it('answers 400 for a volume that does not fit the image at its mountPath, and leaves no container, reference or mount', async () => {
    const before = await leftBehind();
    const host = join(w.work, 'host');
    for (const volume of [
      { name: 'h', mountPath: '/data', host: { path: join(host, 'file') } }, // a file onto the image's /data directory
      { name: 'h', mountPath: '/bin/busybox', host: { path: join(host, 'dir') } }, // a directory onto a file
      { ...w.volume('no-fit'), mountPath: '/bin/busybox/x' }, // a shared FUSE mount below a file: mounted, then refused
      // a new named volume below a file: the engine refuses it at create, copying the image's content into it
      { name: 'p', mountPath: '/bin/busybox/x', pvc: { claimName: `no-fit-${w.run}`, createIfNotExists: true, deleteOnSandboxTermination: true } },
      { name: 'p', mountPath: '/bin/busybox', pvc: { claimName: `onto-file-${w.run}`, createIfNotExists: true, deleteOnSandboxTermination: true } },
    ]) {
      const res = await a.api('/v1/sandboxes', {
        method: 'POST',
        body: JSON.stringify({
          image: { uri: 'berth-base:latest' },
          entrypoint: ['tail', '-f', '/dev/null'],
          resourceLimits: {},
          timeout: 60,
          volumes: [volume],
        }),
      });
      const body = (await res.json()) as { code: string; message: string };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.code).toBe('VOLUME::INVALID_MOUNT_PATH');
      expect(body.message).toContain(`'${volume.mountPath}'`);
      for (const hostPath of [w.work, w.mountRoot, '/var/lib/docker', 'overlay2']) expect(body.message).not.toContain(hostPath);
    }
    expect(await leftBehind()).toEqual(before);
    expect(await checkInvariants(w)).toEqual([]);
  });
});

/** What a refused create must not leave: live sandbox rows, references, live mount rows, FUSE mounts, containers, Docker volumes. */
async function leftBehind() {
  const [row] = rowsOf<Record<string, number>>(
    await w.db.execute(sql`select (select count(*) from sandboxes where deleted_at is null)::int as sandboxes,
    (select count(*) from mount_refs)::int as refs, (select count(*) from mounts where state <> 'unmounted')::int as mounts`),
  );
  const containers = await w.docker.listContainers({ all: true, filters: { label: [`berth.host-id=${w.hostId}`] } });
  const volumes = ((await w.docker.listVolumes()).Volumes ?? []).filter((v) => v.Name.includes(w.run)).map((v) => v.Name);
  return { ...row, fuse: await fuseMountsUnderRoot(w), containers: containers.length, volumes };
}

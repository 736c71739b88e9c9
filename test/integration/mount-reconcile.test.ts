import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { events, mountRefs, mounts, sandboxes } from '../../src/db/schema/index.js';
import { withTx } from '../../src/db/tx.js';
import { newToken } from '../../src/domain/lease.js';
import { reconcileMountsOnce } from '../../src/domain/volumes/ledger/reconcile-mounts.js';
import { createSandboxVolumes } from '../../src/domain/volumes/sandbox-volumes.js';
import { FakeRuntime } from '../fakes/fake-runtime.js';
import type { TestDb } from '../helpers/db.js';
import { FakeMounter } from '../fixtures/fake-mounter.js';
import { buildMountDeps, createMountTestDb, createWithVolumes, insertSandbox, ossfsVolume, processIdFor, TEST_SECRET } from '../fixtures/mount-deps.js';

// Crash states of the ledger, built the way a crash leaves them (a process that acquired and died, an
// unmount that never ran, a FUSE daemon that died, a mount nobody recorded), then one reconcile pass.
// Invariant 5: no reference without a live sandbox, no mount without a reference, every referenced mount
// present and answering, never an unmount under a live sandbox.
let testDb: TestDb;
beforeAll(async () => {
  testDb = await createMountTestDb(10);
});
afterAll(async () => {
  await testDb?.drop();
});

const db = () => testDb.handle.db;
let mounter: FakeMounter;
let runtime: FakeRuntime;
let live: ReturnType<typeof buildMountDeps>;
let bucket: string;
// Every test is its own host: reconcile only ever looks at its own host's rows, as in production.
let hostId: string;
const depsFor = (o: Omit<Parameters<typeof buildMountDeps>[0], 'db'> = {}) =>
  buildMountDeps({ db: db(), mounter, runtime, ...o, config: { hostId, ...o.config } });

beforeEach(() => {
  mounter = new FakeMounter(`/mnt/berth-reconcile-${randomUUID().slice(0, 6)}`);
  runtime = new FakeRuntime();
  hostId = `host-${randomUUID().slice(0, 8)}`;
  live = depsFor();
  bucket = `bkt-${randomUUID().slice(0, 8)}`;
});

/** A process that dies right after its create committed the references: prepare + acquire, no materialize. */
async function acquireAndDie(volumes = [ossfsVolume('d', { bucket })]) {
  const dead = depsFor({ processId: processIdFor(false, hostId) });
  const sv = createSandboxVolumes(dead);
  const id = randomUUID();
  const plan = await sv.prepare(id, volumes);
  await withTx(db(), async (tx) => {
    await insertSandbox(tx, id, 'Running');
    await sv.acquire(tx, id, plan);
  });
  const [row] = await db().select().from(mounts).innerJoin(mountRefs, eq(mountRefs.mountId, mounts.id)).where(eq(mountRefs.sandboxId, id));
  return { sandboxId: id, mount: row!.mounts };
}

const rowOf = async (id: string) => (await db().select().from(mounts).where(eq(mounts.id, id)))[0]!;
const typesOf = async (id: string) => (await db().select().from(events).where(eq(events.mountId, id)).orderBy(events.seq)).map((e) => e.type);
const markDeleted = (id: string, containerId: string | null = null) =>
  db().update(sandboxes).set({ deletedAt: new Date(), state: 'Terminated', containerId }).where(eq(sandboxes.id, id));

describe('reconcileMountsOnce', () => {
  it('finishes the mount of an owner that died mid-mount, with the sealed credentials', async () => {
    const { mount } = await acquireAndDie();
    expect(mount.state).toBe('mounting');
    expect(mount.credentialsEnc).not.toContain(TEST_SECRET);
    const report = await reconcileMountsOnce(live);
    expect(report.mounted).toBe(1);
    expect(mounter.calls.map((c) => c.op)).toEqual(['mount']);
    expect(mounter.calls[0]!.creds).toEqual({ accessKeyId: 'AKID-test', accessKeySecret: TEST_SECRET });
    expect((await rowOf(mount.id)).state).toBe('mounted');
  });

  it('adopts a mount its dead owner made but never recorded (crash after mount, before settle)', async () => {
    const { mount } = await acquireAndDie();
    mounter.physical.set(mount.hostPath, 'mounted');
    await reconcileMountsOnce(live);
    expect(mounter.count('mount')).toBe(0);
    expect((await rowOf(mount.id)).state).toBe('mounted');
  });

  it('drops the references of a deleted sandbox whose container is gone, then unmounts', async () => {
    const { sandboxId, mount } = await acquireAndDie();
    mounter.physical.set(mount.hostPath, 'mounted');
    await markDeleted(sandboxId);
    const report = await reconcileMountsOnce(live);
    expect(report.releasedSandboxes).toBe(1);
    expect(mounter.count('unmount')).toBe(1);
    expect(mounter.physical.has(mount.hostPath)).toBe(false);
    expect((await rowOf(mount.id)).state).toBe('unmounted');
    expect(await db().select().from(mountRefs).where(eq(mountRefs.sandboxId, sandboxId))).toEqual([]);
  });

  it('never releases a deleted sandbox whose container still exists', async () => {
    const { sandboxId, binds } = await createWithVolumes(live, [ossfsVolume('d', { bucket })]);
    const c = await runtime.createAndStart({
      name: 'x',
      image: 'i',
      cmd: [],
      env: {},
      labels: {},
      networkMode: 'none',
      publishedPorts: [],
      publishHostIp: '127.0.0.1',
      capDrop: [],
      securityOpt: [],
      binds,
    });
    await markDeleted(sandboxId, c.containerId);
    await reconcileMountsOnce(live);
    expect(mounter.count('unmount')).toBe(0);
    expect((await db().select().from(mountRefs).where(eq(mountRefs.sandboxId, sandboxId))).length).toBe(1);
    await runtime.remove(c.containerId);
    await reconcileMountsOnce(live);
    expect(mounter.count('unmount')).toBe(1);
  });

  it('remounts a referenced mount that went missing, and repairs a dead one in place', async () => {
    const a = await createWithVolumes(live, [ossfsVolume('d', { bucket })]);
    const b = await createWithVolumes(live, [ossfsVolume('d', { bucket: `${bucket}-2` })]);
    const pa = a.binds[0]!.split(':')[0]!;
    const pb = b.binds[0]!.split(':')[0]!;
    mounter.physical.delete(pa);
    mounter.physical.set(pb, 'dead');
    const report = await reconcileMountsOnce(live);
    expect(report.mounted).toBe(2);
    expect(mounter.calls.map((c) => `${c.op} ${c.path}`)).toEqual([`mount ${pa}`, `mount ${pb}`, `mount ${pa}`, `repair ${pb}`]);
    expect(mounter.physical.get(pa)).toBe('mounted');
    expect(mounter.physical.get(pb)).toBe('mounted');
    const [ra] = await db().select().from(mounts).where(eq(mounts.hostPath, pa));
    expect(await typesOf(ra!.id)).toEqual(['mount.mounted', 'mount.degraded', 'mount.recovered']);
    expect(ra!.health).toBe('ok');
    expect(mounter.count('unmount')).toBe(0);
  });

  it('finishes an unmount whose owner died (the row says unmounting, no references)', async () => {
    const { sandboxId, binds } = await createWithVolumes(live, [ossfsVolume('d', { bucket })]);
    const path = binds[0]!.split(':')[0]!;
    const [row] = await db().select().from(mounts).where(eq(mounts.hostPath, path));
    await db().delete(mountRefs).where(eq(mountRefs.sandboxId, sandboxId));
    await db()
      .update(mounts)
      .set({ state: 'unmounting', leaseOwner: newToken(processIdFor(false, hostId)), leaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(mounts.id, row!.id));
    await reconcileMountsOnce(live);
    expect(mounter.count('unmount')).toBe(1);
    expect((await rowOf(row!.id)).state).toBe('unmounted');
  });

  it('leaves a live owner alone: no takeover while its lease holds', async () => {
    const other = depsFor({ processId: `${hostId}:1:${randomUUID().slice(0, 6)}` });
    const sv = createSandboxVolumes(other);
    const id = randomUUID();
    const plan = await sv.prepare(id, [ossfsVolume('d', { bucket })]);
    await withTx(db(), async (tx) => {
      await insertSandbox(tx, id, 'Running');
      await sv.acquire(tx, id, plan);
    });
    await reconcileMountsOnce(live);
    expect(mounter.calls).toEqual([]);
  });

  it('unmounts FUSE mounts under the root that no live row owns, and removes leftover directories', async () => {
    const kept = await createWithVolumes(live, [ossfsVolume('d', { bucket })]);
    const orphan = `${mounter.root}/mnt_0000orphan`;
    const leftover = `${mounter.root}/mnt_0000leftover`;
    mounter.physical.set(orphan, 'mounted');
    mounter.dirs.add(leftover);
    const report = await reconcileMountsOnce(live);
    expect(report.orphansRemoved).toBe(1);
    expect(mounter.physical.has(orphan)).toBe(false);
    expect(mounter.dirs.has(leftover)).toBe(false);
    expect(mounter.physical.get(kept.binds[0]!.split(':')[0]!)).toBe('mounted');
  });

  it('after a restart, deleting one of two sandboxes sharing a mount does not unmount it (upstream bug 2)', async () => {
    const a = await createWithVolumes(live, [ossfsVolume('d', { bucket })]);
    const b = await createWithVolumes(live, [ossfsVolume('d', { bucket })]);
    // A new process: nothing in memory, only Postgres and the kernel's mounts.
    const restarted = depsFor();
    await reconcileMountsOnce(restarted);
    expect(mounter.count('mount')).toBe(1);
    await createSandboxVolumes(restarted).release(a.sandboxId, { removeManaged: true });
    expect(mounter.count('unmount')).toBe(0);
    expect(mounter.physical.get(b.binds[0]!.split(':')[0]!)).toBe('mounted');
    await createSandboxVolumes(restarted).release(b.sandboxId, { removeManaged: true });
    expect(mounter.count('unmount')).toBe(1);
  });

  it('retries a failed mount that sandboxes still reference, but not more often than every 30 s', async () => {
    mounter.failMounts = { times: 1, message: 'endpoint down' };
    const failed = await createWithVolumes(live, [ossfsVolume('d', { bucket })]).catch((e) => e as Error);
    expect(failed).toBeInstanceOf(Error);
    await reconcileMountsOnce(live);
    expect(mounter.count('mount')).toBe(1);
    const later = depsFor({ clock: { now: () => new Date(Date.now() + 31_000) } });
    await reconcileMountsOnce(later);
    expect(mounter.count('mount')).toBe(2);
    const [row] = (await db().select().from(mounts)).filter((r) => (r.spec as { bucket: string }).bucket === bucket);
    expect(row!.state).toBe('mounted');
  });
});

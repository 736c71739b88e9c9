import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { events, mountRefs, mounts, sandboxVolumes } from '../../src/db/schema/index.js';
import { DomainError } from '../../src/domain/errors.js';
import { createSandboxVolumes } from '../../src/domain/volumes/sandbox-volumes.js';
import type { TestDb } from '../helpers/db.js';
import { FakeMounter } from '../fixtures/fake-mounter.js';
import { buildMountDeps, createMountTestDb, createWithVolumes, ossfsVolume, TEST_SECRET } from '../fixtures/mount-deps.js';

// The ledger against real Postgres, with a counting fake Mounter: the physical side is covered by the FUSE
// test (test/e2e/ossfs-fuse.e2e.test.ts). Every test here checks one invariant of DESIGN.md and would fail
// if the protocol broke it.
let testDb: TestDb;

beforeAll(async () => {
  testDb = await createMountTestDb(20);
  // A guard the ledger must never trip: no reference may be added to a mount marked for unmounting. It runs
  // at commit (deferred), with a fresh snapshot, so it also sees an unmounting committed while the
  // inserting transaction was in flight.
  await testDb.handle.db.execute(sql`
    create function berth_test_ref_guard() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from mount_refs r join mounts m on m.id = r.mount_id
                 where r.mount_id = new.mount_id and r.sandbox_id = new.sandbox_id and m.state in ('unmounting', 'unmounted')) then
        raise exception 'reference added to a mount that is %', (select state from mounts where id = new.mount_id);
      end if;
      return null;
    end $$;
    create constraint trigger berth_test_ref_guard after insert on mount_refs
      deferrable initially deferred for each row execute function berth_test_ref_guard();
    -- Off unless a test turns it on: widens the window between a release's lock and its commit.
    create table berth_test_knobs (slow_unmounting_ms int not null);
    insert into berth_test_knobs values (0);
    create function berth_test_slow() returns trigger language plpgsql as $$
    begin
      perform pg_sleep((select slow_unmounting_ms from berth_test_knobs) / 1000.0);
      return new;
    end $$;
    create trigger berth_test_slow before update on mounts for each row
      when (new.state = 'unmounting' and old.state <> 'unmounting') execute function berth_test_slow();
  `);
});
afterAll(async () => {
  await testDb?.drop();
});

const db = () => testDb.handle.db;
const refsOf = async (mountId: string) => Number((await db().select({ n: count() }).from(mountRefs).where(eq(mountRefs.mountId, mountId)))[0]!.n);
const mountRow = async (id: string) => (await db().select().from(mounts).where(eq(mounts.id, id)))[0]!;

let mounter: FakeMounter;
let deps: ReturnType<typeof buildMountDeps>;
let bucket: string;

beforeEach(() => {
  mounter = new FakeMounter();
  deps = buildMountDeps({ db: db(), mounter });
  // Each test gets its own identity, so tests never share a mount row.
  bucket = `bkt-${randomUUID().slice(0, 8)}`;
});

/** At the moment an unmount starts, the ledger must show zero references for it (invariant 1). */
function assertZeroRefsOnUnmount() {
  const seen: number[] = [];
  mounter.onUnmount = async (path) => {
    const [row] = await db().select().from(mounts).where(eq(mounts.hostPath, path));
    seen.push(await refsOf(row!.id));
    expect(row!.state).toBe('unmounting');
  };
  return seen;
}

describe('mount ledger on Postgres', () => {
  it('50 concurrent creates on one shared volume: one mount command, 50 references; 50 deletes: exactly one unmount', async () => {
    mounter.mountDelayMs = 50;
    const refsAtUnmount = assertZeroRefsOnUnmount();
    const created = await Promise.all(Array.from({ length: 50 }, () => createWithVolumes(deps, [ossfsVolume('data', { bucket })])));
    expect(mounter.count('mount')).toBe(1);
    const sources = new Set(created.map((c) => c.binds[0]!.split(':')[0]));
    expect(sources.size).toBe(1);
    expect(created[0]!.binds[0]).toMatch(/^\/mnt\/berth-test\/mnt_[0-9a-f]+:\/data\/data:rw,rslave$/);
    const [row] = await db()
      .select()
      .from(mounts)
      .where(eq(mounts.hostPath, [...sources][0]!));
    expect(row!.state).toBe('mounted');
    expect(await refsOf(row!.id)).toBe(50);

    const sv = createSandboxVolumes(deps);
    await Promise.all(created.map((c) => sv.release(c.sandboxId, { removeManaged: true })));
    expect(mounter.count('unmount')).toBe(1);
    expect(refsAtUnmount).toEqual([0]);
    expect((await mountRow(row!.id)).state).toBe('unmounted');
    expect(await refsOf(row!.id)).toBe(0);
    const evs = await db().select().from(events).where(eq(events.mountId, row!.id));
    expect(evs.map((e) => e.type).sort()).toEqual(['mount.mounted', 'mount.unmounted']);
  });

  it('two volumes of one sandbox on one backend path hold one reference and release it (upstream bug 1)', async () => {
    const { sandboxId, binds } = await createWithVolumes(deps, [
      ossfsVolume('one', { bucket }, { subPath: 'team' }),
      ossfsVolume('two', { bucket }, { subPath: 'team/', readOnly: true }),
    ]);
    expect(mounter.count('mount')).toBe(1);
    expect(binds[0]!.split(':')[0]).toBe(binds[1]!.split(':')[0]);
    expect(binds[1]).toMatch(/:\/data\/two:ro,rslave$/);
    const vols = await db().select().from(sandboxVolumes).where(eq(sandboxVolumes.sandboxId, sandboxId));
    expect(vols).toHaveLength(2);
    expect(vols[0]!.mountId).toBe(vols[1]!.mountId);
    expect(await refsOf(vols[0]!.mountId!)).toBe(1);
    expect(JSON.stringify(vols)).not.toContain(TEST_SECRET);

    await createSandboxVolumes(deps).release(sandboxId, { removeManaged: true });
    expect(mounter.count('unmount')).toBe(1);
    expect((await mountRow(vols[0]!.mountId!)).state).toBe('unmounted');
  });

  it('different credentials never share a mount; equal identities do', async () => {
    const a = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    const b = await createWithVolumes(deps, [ossfsVolume('d', { bucket, accessKeySecret: 'another-secret' })]);
    const c = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    const src = (x: { binds: string[] }) => x.binds[0]!.split(':')[0];
    expect(src(a)).not.toBe(src(b));
    expect(src(a)).toBe(src(c));
    expect(mounter.count('mount')).toBe(2);
    expect(mounter.calls.filter((x) => x.op === 'mount').map((x) => x.creds!.accessKeySecret)).toEqual([TEST_SECRET, 'another-secret']);
  });

  it('releasing is idempotent and a second release unmounts nothing more', async () => {
    const { sandboxId } = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    const sv = createSandboxVolumes(deps);
    await sv.release(sandboxId, { removeManaged: true });
    await sv.release(sandboxId, { removeManaged: true });
    expect(mounter.count('unmount')).toBe(1);
  });

  it('a create arriving while the mount is being unmounted never joins it: it mounts a new generation at a new path', async () => {
    mounter.unmountDelayMs = 300;
    const first = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    const releasing = createSandboxVolumes(deps).release(first.sandboxId, { removeManaged: true });
    await sleep(100); // the row is unmounting now, its unmount command still running
    const late = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    await releasing;
    expect(late.binds[0]!.split(':')[0]).not.toBe(first.binds[0]!.split(':')[0]);
    expect(mounter.count('mount')).toBe(2);
    expect(mounter.physical.get(late.binds[0]!.split(':')[0]!)).toBe('mounted');
    const rows = await db().select().from(mounts).where(eq(mounts.backend, 'ossfs'));
    const ours = rows.filter((r) => (r.spec as { bucket: string }).bucket === bucket);
    expect(ours.map((r) => r.state).sort()).toEqual(['mounted', 'unmounted']);
  });

  it('a create racing the last release never joins the mount being unmounted (invariant 1)', async () => {
    await db().execute(sql`update berth_test_knobs set slow_unmounting_ms = 150`);
    try {
      for (let round = 0; round < 3; round++) {
        const first = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
        const releasing = createSandboxVolumes(deps).release(first.sandboxId, { removeManaged: true });
        await sleep(40); // the release holds the row lock and is about to commit `unmounting`
        const late = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
        await releasing;
        expect(late.binds[0]!.split(':')[0]).not.toBe(first.binds[0]!.split(':')[0]);
        expect(mounter.physical.get(late.binds[0]!.split(':')[0]!)).toBe('mounted');
        await createSandboxVolumes(deps).release(late.sandboxId, { removeManaged: true });
      }
    } finally {
      await db().execute(sql`update berth_test_knobs set slow_unmounting_ms = 0`);
    }
  });

  it('interleaved creates and deletes: every unmount sees zero references, and the end state matches the references', async () => {
    mounter.mountDelayMs = 5;
    mounter.unmountDelayMs = 5;
    const refsAtUnmount = assertZeroRefsOnUnmount();
    const sv = createSandboxVolumes(deps);
    const live: string[] = [];
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 120; i++) {
      if (live.length > 0 && i % 3 !== 0) {
        const id = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
        work.push(sv.release(id, { removeManaged: true }));
      } else {
        work.push(createWithVolumes(deps, [ossfsVolume('d', { bucket })]).then((c) => live.push(c.sandboxId)));
      }
      if (i % 7 === 0) await sleep(3);
    }
    await Promise.all(work);
    expect(refsAtUnmount.every((n) => n === 0)).toBe(true);
    const rows = (await db().select().from(mounts)).filter((r) => (r.spec as { bucket: string }).bucket === bucket);
    const liveRows = rows.filter((r) => r.state !== 'unmounted');
    const totalRefs = (await Promise.all(liveRows.map((r) => refsOf(r.id)))).reduce((a, b) => a + b, 0);
    expect(totalRefs).toBe(live.length);
    expect(liveRows.length).toBeLessThanOrEqual(1);
    const mountedPaths = [...mounter.physical.keys()].filter((p) => rows.some((r) => r.hostPath === p));
    expect(mountedPaths).toEqual(live.length > 0 ? [liveRows[0]!.hostPath] : []);
    await Promise.all(live.map((id) => sv.release(id, { removeManaged: true })));
    expect([...mounter.physical.keys()].filter((p) => rows.some((r) => r.hostPath === p))).toEqual([]);
  });

  it('a failed mount fails every create waiting on it, with stderr scrubbed, and leaves nothing behind (invariant 4)', async () => {
    mounter.mountDelayMs = 30;
    mounter.failMounts = { times: 1, message: `AccessDenied for key ${TEST_SECRET}` };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => createWithVolumes(deps, [ossfsVolume('d', { bucket })])));
    expect(mounter.count('mount')).toBe(1);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const err = (results[0] as PromiseRejectedResult).reason as DomainError;
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe('VOLUME::OSSFS_MOUNT_FAILED');
    expect(err.message).toContain('AccessDenied');
    expect(err.message).toContain("Volume 'd'");
    for (const r of results) expect(String((r as PromiseRejectedResult).reason.message)).not.toContain(TEST_SECRET);

    // What the create verb does next: release each failed sandbox.
    const [row] = (await db().select().from(mounts)).filter((r) => (r.spec as { bucket: string }).bucket === bucket);
    const holders = await db().select().from(mountRefs).where(eq(mountRefs.mountId, row!.id));
    await Promise.all(holders.map((h) => createSandboxVolumes(deps).release(h.sandboxId, { removeManaged: true })));
    expect(await refsOf(row!.id)).toBe(0);
    expect((await mountRow(row!.id)).state).toBe('unmounted');
    expect(mounter.physical.size).toBe(0);
    const evs = await db().select().from(events).where(eq(events.mountId, row!.id));
    expect(evs.map((e) => e.type)).toContain('mount.failed');
    expect(JSON.stringify(evs)).not.toContain(TEST_SECRET);
    expect(JSON.stringify(deps.log.lines)).not.toContain(TEST_SECRET);
  });

  it('the next create after a failure retries the mount', async () => {
    mounter.failMounts = { times: 1, message: 'transient' };
    const failed = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]).catch((e) => e);
    expect(failed).toBeInstanceOf(DomainError);
    // The failed create has not been released yet: its row is `failed` with one reference.
    const ok = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    expect(mounter.count('mount')).toBe(2);
    expect(mounter.physical.get(ok.binds[0]!.split(':')[0]!)).toBe('mounted');
  });

  it('a mount found dead by a joining create is repaired before the create gets its bind', async () => {
    const first = await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    const path = first.binds[0]!.split(':')[0]!;
    mounter.physical.set(path, 'dead');
    await createWithVolumes(deps, [ossfsVolume('d', { bucket })]);
    expect(mounter.count('repair')).toBe(1);
    expect(mounter.physical.get(path)).toBe('mounted');
    const [row] = await db().select().from(mounts).where(eq(mounts.hostPath, path));
    expect(row!.health).toBe('ok');
    const types = (await db().select().from(events).where(eq(events.mountId, row!.id)).orderBy(events.seq)).map((e) => e.type);
    expect(types).toEqual(['mount.mounted', 'mount.degraded', 'mount.recovered']);
  });

  it('two server processes sharing the database never double-mount and never unmount early (invariant 6)', async () => {
    // Two processes on one host: each names a live pid that is not this test's own (a lease whose owner
    // carries our own pid is taken for an earlier incarnation of this process, i.e. dead).
    const one = buildMountDeps({ db: db(), mounter, processId: `test-host:${process.ppid}:${randomUUID().slice(0, 8)}` });
    const other = buildMountDeps({ db: db(), mounter, processId: `test-host:1:${randomUUID().slice(0, 8)}` });
    mounter.mountDelayMs = 40;
    const refsAtUnmount = assertZeroRefsOnUnmount();
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => createWithVolumes(i % 2 ? other : one, [ossfsVolume('d', { bucket })])));
    expect(mounter.count('mount')).toBe(1);
    const svA = createSandboxVolumes(one);
    const svB = createSandboxVolumes(other);
    await Promise.all(created.slice(0, 39).map((c, i) => (i % 2 ? svB : svA).release(c.sandboxId, { removeManaged: true })));
    expect(mounter.count('unmount')).toBe(0);
    await svB.release(created[39]!.sandboxId, { removeManaged: true });
    expect(mounter.count('unmount')).toBe(1);
    expect(refsAtUnmount).toEqual([0]);
  });

  it('pvc: a volume berth created is labelled and removed on a failed create; a pre-existing one is never removed', async () => {
    const runtime = deps.runtime as import('../fakes/fake-runtime.js').FakeRuntime;
    await runtime.createVolume('theirs', { owner: 'someone-else' });
    const claim = `v-${randomUUID().slice(0, 8)}`;
    const { sandboxId, binds } = await createWithVolumes(deps, [
      { name: 'mine', mountPath: '/m', pvc: { claimName: claim } },
      { name: 'theirs', mountPath: '/t', pvc: { claimName: 'theirs', deleteOnSandboxTermination: true } },
    ]);
    expect(binds).toEqual([`${claim}:/m:rw`, 'theirs:/t:rw']);
    expect(runtime.volumes.get(claim)!.labels).toMatchObject({
      'berth.managed': 'true',
      'berth.instance': 'test-instance',
      'berth.created-for-sandbox': sandboxId,
    });
    // Row still Pending: the release of a failed create removes what that create made.
    await createSandboxVolumes(deps).release(sandboxId, { removeManaged: true });
    expect(runtime.volumes.has(claim)).toBe(false);
    expect(runtime.volumes.has('theirs')).toBe(true);
  });

  it('pvc: after a normal delete only deleteOnSandboxTermination volumes go', async () => {
    const runtime = deps.runtime as import('../fakes/fake-runtime.js').FakeRuntime;
    const keep = `keep-${randomUUID().slice(0, 8)}`;
    const drop = `drop-${randomUUID().slice(0, 8)}`;
    const { sandboxId } = await createWithVolumes(deps, [
      { name: 'keep', mountPath: '/k', pvc: { claimName: keep } },
      { name: 'drop', mountPath: '/d', pvc: { claimName: drop, deleteOnSandboxTermination: true } },
    ]);
    await createSandboxVolumes(deps).release(sandboxId, { removeManaged: true, createFailed: false });
    expect(runtime.volumes.has(keep)).toBe(true);
    expect(runtime.volumes.has(drop)).toBe(false);
  });
});

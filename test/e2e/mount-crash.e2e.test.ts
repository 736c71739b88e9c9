import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../fixtures/docker-exec.js';
import { containerOf, createSandbox, deleteSandbox, expectConverged, expireLeases, fuseMountsUnderRoot, recorded, waitFor } from '../fixtures/mount-e2e.js';
import { startMountServer, type MountServer } from '../fixtures/mount-server.js';
import { mountWorldWithServer } from '../fixtures/mount-world-with-server.js';

// berth killed with SIGKILL at each step of create and delete, then restarted on the same database and
// host. After each restart the reconcilers must reach the state DESIGN.md invariant 5 demands, and no
// sandbox still running may ever lose its mount. The stand-ins' delays hold a step open long enough to
// kill the server inside it. Sandbox transition leases are time-based (minutes), so each test expires the
// dead process's leases in the database, as if that time had passed.
const ctx = mountWorldWithServer();

const start = (env: Record<string, string> = {}) =>
  startMountServer({ databaseUrl: ctx.w.testDb.url, dataDir: ctx.w.dataDir, mountRoot: ctx.w.mountRoot, env: ctx.w.serverEnv(env) });

/** Kill the server once `cond` holds (polling), while a request is in flight. */
async function killWhen(s: MountServer, what: string, cond: () => Promise<boolean>): Promise<void> {
  await waitFor(what, cond, 60_000);
  await s.kill('SIGKILL');
}

const rows = async <T>(query: ReturnType<typeof sql>) => {
  const r = await ctx.w.db.execute(query);
  return (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
};

async function restartAndConverge(): Promise<void> {
  await expireLeases(ctx.w);
  ctx.server = await start();
  await expectConverged(ctx.w);
}

/**
 * A sandbox that keeps running across all the crashes: it must never lose its mount. Each test restarts
 * berth and checks it, so the tests stand alone and run in any order.
 */
let keeper: string;

async function expectKeeperAlive(): Promise<void> {
  const c = (await containerOf(ctx.w, keeper))!;
  expect((await execIn(c, ['cat', '/data/keeper.txt'])).out.trim()).toBe('alive');
}

describe('crash at every step, then restart', () => {
  beforeAll(async () => {
    ctx.server = await start();
    keeper = await createSandbox(ctx.server, [ctx.w.volume('crash')]);
    const c = (await containerOf(ctx.w, keeper))!;
    expect((await execIn(c, ['sh', '-c', 'echo alive > /data/keeper.txt'])).code).toBe(0);
    await ctx.server.kill('SIGKILL');
    ctx.server = null;
  });
  afterEach(async () => {
    await expectKeeperAlive();
  });
  afterAll(async () => {
    ctx.server = await start();
    await deleteSandbox(ctx.server, keeper);
    await expectConverged(ctx.w);
    expect(await fuseMountsUnderRoot(ctx.w)).toEqual([]);
    await ctx.server.kill('SIGKILL');
    ctx.server = null;
  });

  it('a running sandbox keeps its mount across a restart, and deleting another one sharing it does not unmount it', async () => {
    ctx.server = await start();
    const other = await createSandbox(ctx.server, [ctx.w.volume('crash')]);
    await ctx.server.kill('SIGKILL');
    ctx.server = await start();
    await deleteSandbox(ctx.server, other);
    const c = (await containerOf(ctx.w, keeper))!;
    expect((await execIn(c, ['sh', '-c', 'echo written >> /data/keeper.log && cat /data/keeper.log'])).out).toContain('written');
    await expectConverged(ctx.w);
  });

  it('killed while the mount command runs (mid-mount)', async () => {
    ctx.server = await start({ OSSFS_SHIM_DELAY_BEFORE: '3' });
    const creating = createSandbox(ctx.server, [ctx.w.volume('mid-mount')]).catch(() => null);
    await killWhen(
      ctx.server,
      'the mount command to start',
      async () =>
        (await recorded(ctx.w)).some((l) => l.startsWith('ossfs2 mount') && l.includes('mnt_')) &&
        (await rows(sql`select 1 from mounts where state = 'mounting'`)).length > 0,
    );
    expect(await creating).toBeNull();
    await sleep(3500); // the orphaned stand-in finishes its mount after berth died: the reconcile must clean it
    await restartAndConverge();
  });

  it('killed after the mount, before it was recorded (after mount)', async () => {
    ctx.server = await start({ OSSFS_SHIM_DELAY_AFTER: '3' });
    const before = (await fuseMountsUnderRoot(ctx.w)).length;
    const creating = createSandbox(ctx.server, [ctx.w.volume('after-mount')]).catch(() => null);
    await killWhen(ctx.server, 'the FUSE mount to appear', async () => (await fuseMountsUnderRoot(ctx.w)).length > before);
    expect(await creating).toBeNull();
    await restartAndConverge();
  });

  it('killed after the container was created (the create finished on Docker, not in the ledger)', async () => {
    ctx.server = await start();
    const creating = createSandbox(ctx.server, [ctx.w.volume('after-container')]).catch(() => null);
    await killWhen(ctx.server, 'the container to exist', async () => {
      const cs = await ctx.w.docker.listContainers({ all: true, filters: { label: [`berth.host-id=${ctx.w.hostId}`] } });
      return cs.length > 1 + 0 && cs.some((c) => c.Labels['berth.sandbox-id'] !== keeper);
    });
    await creating;
    await restartAndConverge();
  });

  it('killed in the middle of an unmount (mid-delete)', async () => {
    ctx.server = await start();
    const id = await createSandbox(ctx.server, [ctx.w.volume('mid-unmount')]);
    await ctx.server.kill('SIGTERM');
    ctx.server = await start({ OSSFS_SHIM_UNMOUNT_DELAY: '3' });
    const deleting = deleteSandbox(ctx.server, id).catch(() => null);
    await killWhen(
      ctx.server,
      'the unmount to start',
      async () =>
        (await recorded(ctx.w)).some((l) => /^fusermount3 -u .*mnt_/.test(l)) && (await rows(sql`select 1 from mounts where state = 'unmounting'`)).length > 0,
    );
    await deleting;
    await sleep(3500);
    await restartAndConverge();
  });
});

describe('a FUSE daemon killed under a running sandbox', () => {
  it('is repaired by the periodic reconcile, in place: the running sandbox reads again', async () => {
    ctx.server = await start();
    const before = new Set(await fuseMountsUnderRoot(ctx.w));
    const id = await createSandbox(ctx.server, [ctx.w.volume('daemon-kill')]);
    const c = (await containerOf(ctx.w, id))!;
    expect((await execIn(c, ['sh', '-c', 'echo before > /data/d.txt'])).code).toBe(0);
    const [path] = (await fuseMountsUnderRoot(ctx.w)).filter((p) => !before.has(p));
    for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.startsWith('s3fs') && cmd.includes(path!)) process.kill(Number(pid), 'SIGKILL');
    }
    await waitFor('the sandbox to see the dead mount', async () => (await execIn(c, ['cat', '/data/d.txt'])).code !== 0, 10_000);
    await waitFor('the repair to reach the sandbox', async () => (await execIn(c, ['cat', '/data/d.txt'])).out.trim() === 'before', 30_000);
    // The bind reaches the sandbox just before the repair is recorded.
    await waitFor(
      'the repair to be recorded',
      async () => {
        const [m] = await rows<{ health: string; state: string }>(sql`select health, state from mounts where host_path = ${path!}`);
        return m?.health === 'ok' && m.state === 'mounted';
      },
      10_000,
    );
    const types = await rows<{ type: string }>(sql`select e.type from events e join mounts m on m.id = e.mount_id where m.host_path = ${path!} order by e.seq`);
    expect(types.map((t) => t.type)).toEqual(['mount.mounted', 'mount.degraded', 'mount.recovered']);
    await deleteSandbox(ctx.server, id);
    await expectConverged(ctx.w);
  });
});

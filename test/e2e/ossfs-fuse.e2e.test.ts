import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, mounts } from '../../src/db/schema/index.js';
import { readMountinfo, topMountAt } from '../../src/adapters/storage/mountinfo.js';
import { createFuseMounter } from '../../src/adapters/storage/fuse-mounter.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Mounter } from '../../src/domain/volumes/mounter-port.js';
import { reconcileMountsOnce } from '../../src/domain/volumes/ledger/reconcile-mounts.js';
import { createSandboxVolumes } from '../../src/domain/volumes/sandbox-volumes.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import type { TestDb } from '../helpers/db.js';
import { removeContainersLabelled } from '../helpers/remove-containers.js';
import { execIn } from '../fixtures/docker-exec.js';
import { buildMountDeps, createMountTestDb, createWithVolumes } from '../fixtures/mount-deps.js';
import { SHIM_DIR, startS3rver, type S3rver } from '../fixtures/s3rver.js';
import { unmountAndRemove } from '../fixtures/unmount-and-remove.js';

// The real thing: s3rver (child process) + Debian's s3fs behind the ossfs/ossfs2 stand-in scripts, so the
// production command builder and mounter run as they would with ossfs; real Postgres; real containers.
const RUN = `ossfs-e2e-${randomUUID().slice(0, 8)}`;
const BUCKET = 'berth-e2e';
const SECRET = `sk-${randomBytes(12).toString('hex')}`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

let s3: S3rver;
let testDb: TestDb;
let work: string;
let root: string;
let credDir: string;
let record: string;
let log: RecordingLogger;
let mounter: Mounter;
let deps: ReturnType<typeof buildMountDeps>;

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  testDb = await createMountTestDb(10);
  work = await mkdtemp(join(tmpdir(), 'berth-fuse-'));
  root = join(work, 'root');
  credDir = join(work, 'creds');
  await import('node:fs/promises').then((fs) => fs.mkdir(credDir));
  record = join(work, 'shim-record.txt');
  process.env.OSSFS_SHIM_RECORD = record;
  log = new RecordingLogger();
  mounter = createFuseMounter({
    root,
    ossfsBin: join(SHIM_DIR, 'ossfs'),
    ossfs2Bin: join(SHIM_DIR, 'ossfs2'),
    log,
    readyTimeoutMs: 5000,
    credentialDir: credDir,
  });
  deps = buildMountDeps({ db: testDb.handle.db, mounter, log, config: { hostId: `fuse-${RUN}` } });
});

afterAll(async () => {
  await removeContainersLabelled(docker, `berth-test=${RUN}`);
  // Anything still mounted under the root, then the root's own shared bind mount(s).
  if (root) await unmountAndRemove(work);
  delete process.env.OSSFS_SHIM_RECORD;
  await testDb?.drop();
  await s3?.stop();
});

const volume = (version: '1.0' | '2.0', prefix: string, extra: Record<string, unknown> = {}) => ({
  name: 'data',
  mountPath: '/data',
  subPath: prefix,
  ossfs: { bucket: BUCKET, endpoint: s3.endpoint, version, accessKeyId: s3.accessKeyId, accessKeySecret: SECRET, ...extra },
});

async function startContainer(binds: string[]) {
  const c = await docker.createContainer({
    Image: 'berth-base:latest',
    Cmd: ['tail', '-f', '/dev/null'],
    Labels: { 'berth-test': RUN },
    HostConfig: { Binds: binds, Init: true },
  });
  await c.start();
  return c;
}

async function cmdlinesContaining(needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) hits.push(`${pid}: ${cmd.replace(/\0/g, ' ')}`);
  }
  return hits;
}

const isMountPoint = async (p: string) => topMountAt(await readMountinfo(), p) !== null;

describe.each(['1.0', '2.0'] as const)('ossfs %s through the stand-in, with real containers', (version) => {
  it('one shared mount: a file written by one sandbox is read by another and lands in the bucket; unmounted after the last release', async () => {
    const prefix = `tenant-${version.replace('.', '')}`;
    const a = await createWithVolumes(deps, [volume(version, prefix)]);
    const b = await createWithVolumes(deps, [volume(version, prefix)]);
    const hostPath = a.binds[0]!.split(':')[0]!;
    expect(b.binds[0]!.split(':')[0]).toBe(hostPath);
    expect(await isMountPoint(hostPath)).toBe(true);

    // While the FUSE daemon runs: the secret is in no process's argument list, and no credentials file is left.
    expect(await cmdlinesContaining(SECRET)).toEqual([]);
    expect(await readdir(credDir)).toEqual([]);
    const rec = await readFile(record, 'utf8');
    expect(rec).toContain('mode 600');
    expect(rec).not.toContain(SECRET);

    const ca = await startContainer(a.binds);
    const cb = await startContainer(b.binds);
    const text = `hello from ${version} ${RUN}`;
    expect((await execIn(ca, ['sh', '-c', `echo "${text}" > /data/hello.txt`])).code).toBe(0);
    const read = await execIn(cb, ['cat', '/data/hello.txt']);
    expect(read.out.trim()).toBe(text);
    expect((await s3.getObject(BUCKET, `${prefix}/hello.txt`))?.trim()).toBe(text);

    const sv = createSandboxVolumes(deps);
    await ca.remove({ force: true });
    await sv.release(a.sandboxId, { removeManaged: true });
    expect(await isMountPoint(hostPath)).toBe(true);
    expect((await execIn(cb, ['cat', '/data/hello.txt'])).out.trim()).toBe(text);
    await cb.remove({ force: true });
    await sv.release(b.sandboxId, { removeManaged: true });
    expect(await isMountPoint(hostPath)).toBe(false);
    await expect(stat(hostPath)).rejects.toThrow();
    expect(JSON.stringify(log.lines)).not.toContain(SECRET);
  });
});

describe('failures and repair on the real FUSE mount', () => {
  it('a bucket that does not exist fails the create with OSSFS_MOUNT_FAILED and leaves no mount behind', async () => {
    const err = await createWithVolumes(deps, [volume('1.0', 'x', { bucket: 'no-such-bucket' })]).catch((e) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('VOLUME::OSSFS_MOUNT_FAILED');
    expect((err as DomainError).message).not.toContain(SECRET);
    const mounted = (await readMountinfo()).filter((m) => m.mountPoint.startsWith(`${root}/`) && m.fsType.startsWith('fuse'));
    const [row] = await testDb.handle.db.select().from(mounts).where(eq(mounts.state, 'failed'));
    expect(mounted.map((m) => m.mountPoint)).not.toContain(row!.hostPath);
    expect(row!.lastError).toMatch(/did not become ready|went away/);
    const evs = await testDb.handle.db.select().from(events).where(eq(events.mountId, row!.id));
    expect(JSON.stringify(evs)).not.toContain(SECRET);
  });

  it('a killed FUSE daemon is repaired in place by the reconciler, and the running sandbox reads again', async () => {
    const a = await createWithVolumes(deps, [volume('2.0', 'repair')]);
    const hostPath = a.binds[0]!.split(':')[0]!;
    expect(a.binds[0]).toMatch(/,rslave$/);
    const c = await startContainer(a.binds);
    expect((await execIn(c, ['sh', '-c', 'echo before > /data/r.txt'])).code).toBe(0);

    const daemons = (await cmdlinesContaining(hostPath)).filter((l) => l.includes('s3fs'));
    expect(daemons.length).toBeGreaterThan(0);
    for (const d of daemons) process.kill(Number(d.split(':')[0]), 'SIGKILL');
    await sleep(300);
    expect((await execIn(c, ['cat', '/data/r.txt'])).code).not.toBe(0);

    const report = await reconcileMountsOnce(deps);
    expect(report.mounted).toBe(1);
    const [row] = await testDb.handle.db.select().from(mounts).where(eq(mounts.hostPath, hostPath));
    expect(row!.state).toBe('mounted');
    expect(row!.health).toBe('ok');
    const types = (await testDb.handle.db.select().from(events).where(eq(events.mountId, row!.id)).orderBy(events.seq)).map((e) => e.type);
    expect(types).toEqual(['mount.mounted', 'mount.degraded', 'mount.recovered']);
    // The container still has its original bind: the repair reached it through rslave propagation.
    const again = await execIn(c, ['cat', '/data/r.txt']);
    expect(again.code).toBe(0);
    expect(again.out.trim()).toBe('before');

    await c.remove({ force: true });
    await createSandboxVolumes(deps).release(a.sandboxId, { removeManaged: true });
    expect(await isMountPoint(hostPath)).toBe(false);
  });
});

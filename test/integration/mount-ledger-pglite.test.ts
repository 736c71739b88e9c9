import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountRefs, mounts } from '../../src/db/schema/index.js';
import { reconcileMountsOnce } from '../../src/domain/volumes/ledger/reconcile-mounts.js';
import { createSandboxVolumes } from '../../src/domain/volumes/sandbox-volumes.js';
import { createPgliteTestDb, type TestDb } from '../helpers/db.js';
import { FakeMounter } from '../fixtures/fake-mounter.js';
import { buildMountDeps, createWithVolumes, ossfsVolume } from '../fixtures/mount-deps.js';

// The embedded default: PGlite is one connection, so every transaction runs alone. The ledger must still
// work there (no transaction may wait on another, and nothing may use the root db inside a transaction).
let testDb: TestDb;
beforeAll(async () => {
  testDb = await createPgliteTestDb();
});
afterAll(async () => {
  await testDb?.drop();
});

describe('mount ledger on PGlite', () => {
  it('20 concurrent creates share one mount; 20 deletes unmount it once; reconcile finds nothing to do', async () => {
    const mounter = new FakeMounter();
    mounter.mountDelayMs = 30;
    const deps = buildMountDeps({ db: testDb.handle.db, mounter });
    const created = await Promise.all(Array.from({ length: 20 }, () => createWithVolumes(deps, [ossfsVolume('d')])));
    expect(mounter.count('mount')).toBe(1);
    const [row] = await testDb.handle.db.select().from(mounts);
    expect((await testDb.handle.db.select().from(mountRefs).where(eq(mountRefs.mountId, row!.id))).length).toBe(20);
    expect((await reconcileMountsOnce(deps)).mounted).toBe(0);
    const sv = createSandboxVolumes(deps);
    await Promise.all(created.map((c) => sv.release(c.sandboxId, { removeManaged: true })));
    expect(mounter.count('unmount')).toBe(1);
    expect((await testDb.handle.db.select().from(mounts))[0]!.state).toBe('unmounted');
  });
});

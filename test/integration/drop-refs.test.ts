import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountRefs } from '../../src/db/schema/index.js';
import type { Db } from '../../src/domain/ports.js';
import { dropSandboxRefs } from '../../src/domain/volumes/ledger/drop-refs.js';
import { createPgliteTestDb, type TestDb } from '../helpers/db.js';
import { buildMountDeps, createMountTestDb, createWithVolumes, ossfsVolume } from '../fixtures/mount-deps.js';

// Releases that arrive together share one statement (src/domain/volumes/drop-refs.ts). What must hold:
// every caller gets exactly its own rows, `held` treats the batch as one delete, and fewer statements run
// than callers when they overlap.
const kinds = [
  ['postgres', () => createMountTestDb(10)],
  ['pglite', () => createPgliteTestDb()],
] as const;

describe.each(kinds)('dropping references together (%s)', (_kind, open) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t.drop();
  });

  /** The db with its statements counted; a new handle object, so it also gets a queue of its own. */
  function counting(db: Db) {
    const counter = { statements: 0 };
    const proxy = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === 'execute')
          return (...args: Parameters<Db['execute']>) => {
            counter.statements++;
            return target.execute(...args);
          };
        return Reflect.get(target, prop, receiver);
      },
    });
    return { db: proxy as Db, counter };
  }

  async function sandboxesOnOneMount(n: number, bucket: string) {
    const deps = buildMountDeps({ db: t.handle.db });
    const created = [];
    for (let i = 0; i < n; i++) created.push(await createWithVolumes(deps, [ossfsVolume('d', { bucket })]));
    const [ref] = await t.handle.db.select().from(mountRefs).where(eq(mountRefs.sandboxId, created[0]!.sandboxId));
    return { ids: created.map((c) => c.sandboxId), mountId: ref!.mountId };
  }

  const refsOf = async (mountId: string) => (await t.handle.db.select().from(mountRefs).where(eq(mountRefs.mountId, mountId))).length;

  it('a lone release is one statement; 24 at once share a few, and each caller gets only its own reference', async () => {
    const { ids, mountId } = await sandboxesOnOneMount(26, 'coalesce');
    const [keeper, lone, ...rest] = ids;
    const c = counting(t.handle.db);
    expect(await dropSandboxRefs(c.db, lone!)).toEqual([{ mountId, held: true }]);
    expect(c.counter.statements).toBe(1);

    c.counter.statements = 0;
    const answers = await Promise.all(rest.map((id) => dropSandboxRefs(c.db, id)));
    for (const a of answers) expect(a).toEqual([{ mountId, held: true }]);
    expect(c.counter.statements).toBeGreaterThanOrEqual(2);
    expect(c.counter.statements).toBeLessThan(rest.length / 4);
    expect(await refsOf(mountId)).toBe(1);
    expect(await dropSandboxRefs(c.db, keeper!)).toEqual([{ mountId, held: false }]);
  });

  it('a batch carrying every reference of a mount reports each of them unheld', async () => {
    const { ids, mountId } = await sandboxesOnOneMount(4, 'all-at-once');
    const c = counting(t.handle.db);
    // The first goes alone; the three that arrive while it is in flight go together and are the last ones.
    const answers = await Promise.all(ids.map((id) => dropSandboxRefs(c.db, id)));
    expect(c.counter.statements).toBe(2);
    expect(answers[0]).toEqual([{ mountId, held: true }]);
    for (const a of answers.slice(1)) expect(a).toEqual([{ mountId, held: false }]);
    expect(await refsOf(mountId)).toBe(0);
  });

  it('the same sandbox released twice at once: the first caller gets its rows, the second nothing', async () => {
    const { ids, mountId } = await sandboxesOnOneMount(3, 'twice');
    const c = counting(t.handle.db);
    const [, a, b] = await Promise.all([dropSandboxRefs(c.db, ids[0]!), dropSandboxRefs(c.db, ids[1]!), dropSandboxRefs(c.db, ids[1]!)]);
    expect(a).toEqual([{ mountId, held: true }]);
    expect(b).toEqual([]);
    expect(await refsOf(mountId)).toBe(1);
  });

  it('a sandbox with nothing to release gets an empty answer', async () => {
    expect(await dropSandboxRefs(t.handle.db, '00000000-0000-4000-8000-000000000000')).toEqual([]);
  });
});

describe('dropping references while another transaction deletes one (postgres)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createMountTestDb(10);
  });
  afterAll(async () => {
    await t.drop();
  });

  // The race the xmax rule exists for: two releases (two processes) of a mount's last two references. The
  // one whose statement reads the other's reference as "being deleted" must report its own as unheld, so
  // that the last of them always asks claimUnreferenced and the mount is never left behind.
  it('a reference someone else is deleting does not count as held', async () => {
    const deps = buildMountDeps({ db: t.handle.db });
    const a = await createWithVolumes(deps, [ossfsVolume('d', { bucket: 'racing' })]);
    const b = await createWithVolumes(deps, [ossfsVolume('d', { bucket: 'racing' })]);
    const [ref] = await t.handle.db.select().from(mountRefs).where(eq(mountRefs.sandboxId, a.sandboxId));
    await t.handle.sql!.begin(async (other) => {
      await other`delete from mount_refs where sandbox_id = ${b.sandboxId}`;
      expect(await dropSandboxRefs(t.handle.db, a.sandboxId)).toEqual([{ mountId: ref!.mountId, held: false }]);
    });
  });
});

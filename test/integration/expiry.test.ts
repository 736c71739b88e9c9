import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, sandboxes } from '../../src/db/schema/index.js';
import type { Deps } from '../../src/domain/deps.js';
import { isDomainError } from '../../src/domain/errors.js';
import { reapOnce } from '../../src/domain/expiry/reap-once.js';
import { createSandbox } from '../../src/domain/sandbox/create-sandbox.js';
import { renewSandbox } from '../../src/domain/sandbox/renew-sandbox.js';
import { buildTestApp, createBody, type TestApp } from '../helpers/app.js';

// Expiry against real Postgres: the reaper, renew and a second server process (a second Deps with its own
// processId on the same database) racing each other.
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp('postgres');
});
afterAll(async () => t?.close());

const make = (timeout: number | null = 60) => createSandbox(t.deps, createBody({ timeout }) as never, 'test');
const secondProcess = (): Deps => ({ ...t.deps, processId: 'test-host:2:beef' });
const expiredEvents = async (id: string) =>
  (await t.deps.db.select().from(events).where(eq(events.sandboxId, id))).filter((e) => e.type === 'sandbox.expired').length;
const row = async (id: string) => (await t.deps.db.select().from(sandboxes).where(eq(sandboxes.id, id)))[0]!;

describe('reaper', () => {
  it('reaps a sandbox once its expiry passes, not before, and keeps the row as history', async () => {
    const s = await make(60);
    t.clock.advance(59_000);
    expect((await reapOnce(t.deps)).expired).toBe(0);
    t.clock.advance(2_000);
    expect((await reapOnce(t.deps)).expired).toBe(1);
    const r = await row(s.id);
    expect(r).toMatchObject({ state: 'Terminated', reason: 'ttl_expiry' });
    expect(r.deletedAt).not.toBeNull();
    expect(t.runtime.containers.has(s.containerId!)).toBe(false);
    expect(await expiredEvents(s.id)).toBe(1);
  });

  it('never reaps a manual-cleanup sandbox', async () => {
    const s = await make(null);
    t.clock.advance(365 * 86_400_000);
    await reapOnce(t.deps);
    expect((await row(s.id)).deletedAt).toBeNull();
  });

  it('honours a renewal made before the expiry', async () => {
    const s = await make(60);
    await renewSandbox(t.deps, s.id, new Date(t.clock.now().getTime() + 3_600_000), 'test');
    t.clock.advance(120_000);
    await reapOnce(t.deps);
    expect((await row(s.id)).deletedAt).toBeNull();
  });

  it('two reapers on one database tear each expired sandbox down exactly once', async () => {
    const made = await Promise.all(Array.from({ length: 20 }, () => make(60)));
    t.clock.advance(61_000);
    const removesBefore = t.runtime.calls.filter((c) => c.startsWith('remove ')).length;
    const [a, b] = await Promise.all([reapOnce(t.deps, { limit: 7 }), reapOnce(secondProcess(), { limit: 7 })]);
    const [c, d] = await Promise.all([reapOnce(t.deps), reapOnce(secondProcess())]);
    expect(a.expired + b.expired + c.expired + d.expired).toBe(20);
    expect(t.runtime.calls.filter((x) => x.startsWith('remove ')).length - removesBefore).toBe(20);
    for (const s of made) expect(await expiredEvents(s.id)).toBe(1);
  });

  it('renew racing the reaper at the expiry instant never orphans a sandbox', async () => {
    for (let i = 0; i < 15; i++) {
      const s = await make(60);
      t.clock.advance(60_000); // exactly due
      const renewTo = new Date(t.clock.now().getTime() + 3_600_000);
      const [renew] = await Promise.allSettled([renewSandbox(t.deps, s.id, renewTo, 'test'), reapOnce(secondProcess())]);
      const r = await row(s.id);
      if (renew.status === 'fulfilled') {
        // The renewal won: alive, with its container and the new expiry.
        expect(r.deletedAt).toBeNull();
        expect(r.expiresAt?.getTime()).toBe(renewTo.getTime());
        expect(t.runtime.containers.has(s.containerId!)).toBe(true);
      } else {
        // The reaper won: gone entirely, and the renew said so with a 4xx.
        expect(isDomainError(renew.reason) && ['conflict', 'not_found'].includes(renew.reason.kind)).toBe(true);
        await reapOnce(t.deps); // finish if the claim happened but teardown is still running elsewhere
        expect((await row(s.id)).deletedAt).not.toBeNull();
        expect(t.runtime.containers.has(s.containerId!)).toBe(false);
      }
    }
  });

  it('takes over at once the work of a process on this host that died, without waiting for its lease', async () => {
    const s = await make(null);
    const future = new Date(t.clock.now().getTime() + 300_000);
    // pid 2^22+1 is above Linux's pid_max default range: no such process exists.
    await t.deps.db
      .update(sandboxes)
      .set({ state: 'Stopping', reason: 'user_delete', leaseOwner: 'test-host:4194305:dead', leaseUntil: future })
      .where(eq(sandboxes.id, s.id));
    const alive = await make(null);
    await t.deps.db
      .update(sandboxes)
      .set({ state: 'Stopping', reason: 'user_delete', leaseOwner: `test-host:${process.ppid}:live`, leaseUntil: future })
      .where(eq(sandboxes.id, alive.id));
    const res = await reapOnce(t.deps);
    expect(res.resumedDeletes).toBe(1);
    expect((await row(s.id)).deletedAt).not.toBeNull();
    // A live owner (the test runner's parent process) keeps its lease.
    expect((await row(alive.id)).deletedAt).toBeNull();
    await t.deps.db
      .update(sandboxes)
      .set({ leaseUntil: new Date(t.clock.now().getTime() - 1) })
      .where(eq(sandboxes.id, alive.id));
    await reapOnce(t.deps);
  });

  it('finishes a delete and discards a create whose owner died (lapsed lease)', async () => {
    const deleting = await make(null);
    const creating = await make(null);
    const past = new Date(t.clock.now().getTime() - 1000);
    await t.deps.db
      .update(sandboxes)
      .set({ state: 'Stopping', reason: 'user_delete', leaseOwner: 'dead:1:x', leaseUntil: past })
      .where(eq(sandboxes.id, deleting.id));
    await t.deps.db.update(sandboxes).set({ state: 'Pending', leaseOwner: 'dead:1:x', leaseUntil: past }).where(eq(sandboxes.id, creating.id));
    const res = await reapOnce(t.deps);
    expect(res.resumedDeletes).toBe(1);
    expect(res.abandonedCreates).toBe(1);
    expect(await row(deleting.id)).toMatchObject({ state: 'Terminated', reason: 'user_delete' });
    expect(t.runtime.containers.has(deleting.containerId!)).toBe(false);
    const gone = await t.deps.db
      .select({ n: sql<number>`count(*)::int` })
      .from(sandboxes)
      .where(eq(sandboxes.id, creating.id));
    expect(gone[0]!.n).toBe(0);
    expect(t.runtime.containers.has(creating.containerId!)).toBe(false);
  });
});

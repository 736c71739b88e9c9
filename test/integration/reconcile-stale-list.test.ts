import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxes } from '../../src/db/schema/index.js';
import type { ContainerState } from '../../src/domain/ports.js';
import { reconcileSandboxesOnce } from '../../src/domain/reconcile/reconcile-sandboxes.js';
import { DB_KINDS } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';

// The sandbox reconciler lists containers before it reads rows (plan.ts), so a create that finishes in
// between shows a Running row next to a container listed as only 'created', or not listed at all. Such a
// sandbox must not be called finished: a finished sandbox gives up its mount references, and its shared
// mount would be unmounted under a running container. Real engine, Postgres and PGlite; the listing is
// made stale by rewriting what the real listOwned returned.
describe.each(DB_KINDS)('a stale container listing never finishes a running sandbox (%s)', (kind) => {
  let t: ExecdApp;
  let stale: ((list: ContainerState[]) => ContainerState[]) | null = null;

  beforeAll(async () => {
    t = await buildExecdApp(kind);
    const runtime = t.deps.runtime;
    const listOwned = runtime.listOwned.bind(runtime);
    runtime.listOwned = async (instanceId) => {
      const list = await listOwned(instanceId);
      return stale ? stale(list) : list;
    };
  });
  afterAll(async () => {
    await t?.close();
  });

  const stateOf = async (id: string) => (await t.deps.db.select({ state: sandboxes.state }).from(sandboxes).where(eq(sandboxes.id, id)))[0]?.state;

  it("listed as 'created' (the create had not started it yet): still Running", async () => {
    const id = await t.createSandbox();
    stale = (list) => list.map((c) => (c.labels['berth.sandbox-id'] === id ? { ...c, status: 'created', running: false, exitCode: null } : c));
    const r = await reconcileSandboxesOnce(t.deps).finally(() => (stale = null));
    expect(r.actions).toContainEqual(expect.objectContaining({ kind: 'exited', sandboxId: id }));
    expect(await stateOf(id)).toBe('Running');
  });

  it('not listed at all (created after the listing): still Running', async () => {
    const id = await t.createSandbox();
    stale = (list) => list.filter((c) => c.labels['berth.sandbox-id'] !== id);
    const r = await reconcileSandboxesOnce(t.deps).finally(() => (stale = null));
    expect(r.actions).toContainEqual(expect.objectContaining({ kind: 'removed', sandboxId: id }));
    expect(await stateOf(id)).toBe('Running');
  });
});

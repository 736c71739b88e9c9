import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, poolSlots, sandboxes } from '../../src/db/schema/index.js';
import { fillPoolsOnce } from '../../src/domain/pools/fill-pools.js';
import { LABELS } from '../../src/domain/ports.js';
import { reconcileSandboxesOnce } from '../../src/domain/reconcile/reconcile-sandboxes.js';
import { DB_KINDS } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { DEAD_OWNER, idle, POOL_TEMPLATE, pooledCreate, slotsOf } from '../helpers/pools.js';

// The filler and claims on the real engine, on Postgres and PGlite: fill, claim (explicit and implicit), what
// makes a cold create, refill, and what the filler replaces (template change, dead, paused, aged-out,
// crashed claimer or filler, strays), pool deletion. Concurrency across processes: pools-concurrency.test.ts.

type Json = Record<string, any>;
const sendJson =
  (method: string) =>
  (body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const post = sendJson('POST');
const put = sendJson('PUT');
/** the pool template after the tests' one template change */
const TEMPLATE_V2 = { ...POOL_TEMPLATE, env: { POOLED: 'v2' } };

describe.each(DB_KINDS)('warm pools on a real engine (%s)', (kind) => {
  let t: ExecdApp;
  beforeAll(async () => {
    t = await buildExecdApp(kind);
  });
  afterAll(() => t.close());

  const createPool = async (name: string, extra: Json = {}) => {
    const res = await t.api('/v1/pools', post({ name, template: POOL_TEMPLATE, idleTarget: 2, ...extra }));
    expect(res.status, await res.clone().text()).toBe(201);
  };
  const create = async (body: Json) => {
    const res = await t.api('/v1/sandboxes', post(body));
    expect(res.status, await res.clone().text()).toBe(202);
    return (await res.json()) as Json;
  };
  const inspect = (id: string) => t.docker.getContainer(id).inspect();
  const rowOf = async (id: string) => (await t.deps.db.select().from(sandboxes).where(eq(sandboxes.id, id)))[0]!;
  const remove = (id: string) => t.api(`/v1/sandboxes/${id}`, { method: 'DELETE' });
  /** A pool container of pool `fill` started behind berth's back, labelled for `sandboxId`, as a filler starts one. */
  const startPoolContainer = (name: string, sandboxId: string) =>
    t.deps.runtime.createAndStart({
      name,
      image: POOL_TEMPLATE.image.uri,
      cmd: POOL_TEMPLATE.entrypoint,
      env: {},
      labels: {
        [LABELS.managed]: 'true',
        [LABELS.instance]: t.deps.instanceId,
        [LABELS.sandboxId]: sandboxId,
        [LABELS.pool]: 'fill',
        [LABELS.hostId]: t.deps.config.hostId,
      },
      networkMode: 'none',
      publishedPorts: [],
      publishHostIp: '127.0.0.1',
      capDrop: [],
      securityOpt: [],
      binds: [],
    });

  it('fills to idleTarget with labelled containers that GET /v1/sandboxes does not list and the reconciler leaves alone', async () => {
    await createPool('fill');
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 2, removed: 0, failed: 0 });
    const slots = idle(await slotsOf(t.deps, 'fill'));
    expect(slots).toHaveLength(2);
    for (const s of slots) {
      const c = await inspect(s.containerId!);
      expect(c.State.Running).toBe(true);
      expect(c.Config.Labels).toMatchObject({ [LABELS.pool]: 'fill', [LABELS.sandboxId]: s.id, [LABELS.managed]: 'true' });
      expect(c.Config.Env).toContain('POOLED=yes');
    }
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 0, removed: 0 });
    const list = (await (await t.api('/v1/sandboxes')).json()) as Json;
    expect(list.items.map((i: Json) => i.id)).not.toEqual(expect.arrayContaining([slots[0]!.id]));
    expect((await reconcileSandboxesOnce(t.deps)).actions).toEqual([]);
    for (const s of slots) expect((await inspect(s.containerId!)).State.Running).toBe(true);
    const pool = (await (await t.api('/v1/pools/fill')).json()) as Json;
    expect(pool.status).toEqual({ idle: 2, starting: 0, claiming: 0 });
  });

  it('answers a poolRef create from an idle slot: same container, request metadata, expiry and limits applied; then refills', async () => {
    const before = idle(await slotsOf(t.deps, 'fill'));
    const body = await create({ extensions: { poolRef: 'fill' }, metadata: { team: 'a' }, timeout: 900, resourceLimits: { cpu: '500m', memory: '512Mi' } });
    expect(body.status.state).toBe('Running');
    expect(body.metadata).toEqual({ team: 'a' });
    const slot = before.find((s) => s.id === body.id);
    expect(slot, 'the sandbox id is the slot id').toBeDefined();
    const row = await rowOf(body.id);
    expect(row).toMatchObject({ containerId: slot!.containerId, poolName: 'fill', state: 'Running', env: { POOLED: 'yes' } });
    expect(row.expiresAt!.getTime() - row.createdAt.getTime()).toBe(900_000);
    const c = await inspect(slot!.containerId!);
    expect(c.HostConfig.Memory).toBe(512 * 2 ** 20);
    expect(c.HostConfig.NanoCpus).toBe(5e8);
    // it is an ordinary sandbox now: listed, answers execd, deletable
    const got = (await (await t.api(`/v1/sandboxes/${body.id}`)).json()) as Json;
    expect(got).toMatchObject({ id: body.id, status: { state: 'Running' }, image: { uri: POOL_TEMPLATE.image.uri } });
    const run = await t.execd(body.id, '/command', post({ command: 'echo $POOLED' }));
    expect(await run.text()).toContain('yes');
    const types = (await t.deps.db.select({ type: events.type }).from(events).where(eq(events.sandboxId, body.id))).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['sandbox.created', 'sandbox.running', 'pool.claimed']));

    expect(idle(await slotsOf(t.deps, 'fill'))).toHaveLength(1);
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 1 });
    expect(idle(await slotsOf(t.deps, 'fill'))).toHaveLength(2);
    expect((await reconcileSandboxesOnce(t.deps)).actions).toEqual([]);
    expect((await remove(body.id)).status).toBe(204);
  });

  it('matches a request equal to the template without poolRef; a different env, entrypoint or a dropped limit is a cold create', async () => {
    const slotIds = new Set(idle(await slotsOf(t.deps, 'fill')).map((s) => s.id));
    const implicit = await create(pooledCreate());
    expect(slotIds.has(implicit.id)).toBe(true);
    for (const body of [
      pooledCreate({ env: { POOLED: 'no' } }),
      pooledCreate({ env: { ...POOL_TEMPLATE.env, EXTRA: '1' } }),
      pooledCreate({ entrypoint: ['sleep', 'infinity'] }),
      pooledCreate({ extensions: { poolRef: 'fill' }, resourceLimits: { cpu: '1' } }), // drops the memory limit
    ]) {
      const cold = await create(body);
      expect(slotIds.has(cold.id)).toBe(false);
      expect((await rowOf(cold.id)).poolName).toBeNull();
      await remove(cold.id);
    }
    expect(idle(await slotsOf(t.deps, 'fill'))).toHaveLength(1);
    await remove(implicit.id);
    await fillPoolsOnce(t.deps);
  });

  it('falls back to a cold create when the idle container died since the last pass, and the filler replaces dead and paused ones', async () => {
    const [a, b] = idle(await slotsOf(t.deps, 'fill'));
    await t.docker.getContainer(a!.containerId!).kill();
    await t.docker.getContainer(b!.containerId!).pause();
    // both idle rows still look claimable; neither container may be handed out
    const first = await create({ extensions: { poolRef: 'fill' } });
    const second = await create({ extensions: { poolRef: 'fill' } });
    for (const s of [first, second]) {
      expect([a!.id, b!.id]).not.toContain(s.id);
      expect((await rowOf(s.id)).state).toBe('Running');
    }
    expect(await slotsOf(t.deps, 'fill')).toEqual([]);
    await expect(inspect(a!.containerId!)).rejects.toMatchObject({ statusCode: 404 });
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 2 });

    const [c, d] = idle(await slotsOf(t.deps, 'fill'));
    await t.docker.getContainer(c!.containerId!).kill();
    await t.docker.getContainer(d!.containerId!).pause();
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ removed: 2, started: 2 });
    await expect(inspect(c!.containerId!)).rejects.toMatchObject({ statusCode: 404 });
    await expect(inspect(d!.containerId!)).rejects.toMatchObject({ statusCode: 404 });
    expect(idle(await slotsOf(t.deps, 'fill'))).toHaveLength(2);
    for (const s of [first, second]) await remove(s.id);
  });

  it('replaces idle slots when the template changes; a claim never takes a slot of the old template', async () => {
    const old = idle(await slotsOf(t.deps, 'fill'));
    const res = await t.api('/v1/pools/fill', put({ template: TEMPLATE_V2, idleTarget: 2 }));
    expect(((await res.json()) as Json).generation).toBe(2);
    const cold = await create({ extensions: { poolRef: 'fill' } });
    expect(old.map((s) => s.id)).not.toContain(cold.id);
    expect((await rowOf(cold.id)).env).toEqual({ POOLED: 'v2' });
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ removed: 2, started: 2 });
    const fresh = idle(await slotsOf(t.deps, 'fill'));
    expect(fresh.every((s) => s.generation === 2)).toBe(true);
    for (const s of old) await expect(inspect(s.containerId!)).rejects.toMatchObject({ statusCode: 404 });
    expect((await inspect(fresh[0]!.containerId!)).Config.Env).toContain('POOLED=v2');
    await remove(cold.id);
  });

  it('counts hits, misses and unfit poolRefs, and the idle slots the filler last saw, in Prometheus metrics', async () => {
    const text = await (await t.api('/metrics')).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    expect(value(/berth_pool_claims_total\{pool="fill",outcome="hit"\} (\d+)/)).toBeGreaterThanOrEqual(2);
    // the dead and the paused idle containers: each claim failed on the way and fell back
    expect(value(/berth_pool_claims_total\{pool="fill",outcome="miss"\} (\d+)/)).toBeGreaterThanOrEqual(2);
    expect(value(/berth_pool_claims_total\{pool="fill",outcome="unfit"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(value(/berth_pool_idle_sandboxes\{pool="fill"\} (\d+)/)).toBe(2);
  });

  it('takes back a slot whose claimer or filler died, replaces an aged-out one and removes stray pool containers', async () => {
    const [claiming, aged] = idle(await slotsOf(t.deps, 'fill'));
    // a claimer that died between its two transactions; and a slot older than maxIdleSeconds
    await t.deps.db
      .update(poolSlots)
      .set({ state: 'claiming', leaseOwner: DEAD_OWNER, leaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(poolSlots.id, claiming!.id));
    await t.api('/v1/pools/fill', put({ template: TEMPLATE_V2, idleTarget: 2, maxIdleSeconds: 60 }));
    await t.deps.db
      .update(poolSlots)
      .set({ readyAt: new Date(Date.now() - 61_000) })
      .where(eq(poolSlots.id, aged!.id));
    // a filler that died after its insert, with its container started but never recorded
    const strayId = 'stray-' + Date.now();
    await t.deps.db.insert(poolSlots).values({
      id: strayId,
      poolName: 'fill',
      generation: 2,
      state: 'starting',
      hostId: t.deps.config.hostId,
      containerName: `sandbox-${strayId}`,
      createdAt: new Date(),
      leaseOwner: DEAD_OWNER,
      leaseUntil: new Date(Date.now() + 60_000),
    });
    const half = await startPoolContainer(`sandbox-${strayId}`, strayId);
    // and a pool container no row owns at all
    const orphan = await startPoolContainer(`berth-pool-orphan-${Date.now()}`, 'nobody');
    const r = await fillPoolsOnce(t.deps);
    expect(r).toMatchObject({ removed: 4, started: 2, failed: 0 });
    for (const id of [claiming!.containerId!, aged!.containerId!, half.containerId, orphan.containerId]) {
      await expect(inspect(id)).rejects.toMatchObject({ statusCode: 404 });
    }
    const slots = await slotsOf(t.deps, 'fill');
    expect(slots.map((s) => s.state)).toEqual(['idle', 'idle']);
    expect(slots.map((s) => s.id)).not.toEqual(expect.arrayContaining([claiming!.id]));
  });

  it('keeps idle slots across a restart: a new process over the same database starts and removes nothing', async () => {
    const next = { ...t.deps, processId: `test-host:${process.pid}:restarted` };
    expect(await fillPoolsOnce(next)).toMatchObject({ started: 0, removed: 0 });
    expect((await reconcileSandboxesOnce(next)).actions).toEqual([]);
    expect(idle(await slotsOf(t.deps, 'fill'))).toHaveLength(2);
  });

  it('stops refilling at maxSandboxes (idle plus live claimed)', async () => {
    await t.api('/v1/pools/fill', put({ template: TEMPLATE_V2, idleTarget: 2, maxSandboxes: 3 }));
    const a = await create({ extensions: { poolRef: 'fill' } });
    const b = await create({ extensions: { poolRef: 'fill' } });
    expect((await rowOf(a.id)).poolName).toBe('fill');
    expect((await rowOf(b.id)).poolName).toBe('fill');
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 1 });
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 0 });
    await remove(a.id);
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 1 });
    await remove(b.id);
  });

  it('deleting a pool removes its idle containers and leaves sandboxes claimed from it running', async () => {
    const claimed = await create({ extensions: { poolRef: 'fill' } });
    const idleNow = idle(await slotsOf(t.deps, 'fill'));
    expect(idleNow.length).toBeGreaterThan(0);
    expect((await t.api('/v1/pools/fill', { method: 'DELETE' })).status).toBe(204);
    for (const s of idleNow) await expect(inspect(s.containerId!)).rejects.toMatchObject({ statusCode: 404 });
    expect(await slotsOf(t.deps, 'fill')).toEqual([]);
    const row = await rowOf(claimed.id);
    expect((await inspect(row.containerId!)).State.Running).toBe(true);
    expect(((await (await t.api(`/v1/sandboxes/${claimed.id}`)).json()) as Json).status.state).toBe('Running');
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 0, removed: 0 });
    expect((await reconcileSandboxesOnce(t.deps)).actions).toEqual([]);
    expect((await inspect(row.containerId!)).State.Running).toBe(true);
    await remove(claimed.id);
    const deletions = await t.deps.db
      .select()
      .from(events)
      .where(and(eq(events.type, 'pool.deleted')));
    expect(deletions).toHaveLength(1);
  });
});

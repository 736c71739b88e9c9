import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, sandboxes, snapshots } from '../../src/db/schema/index.js';
import { reapSnapshotsOnce } from '../../src/domain/snapshots/reap-snapshots.js';
import { LABELS } from '../../src/domain/ports.js';
import { buildTestApp, createBody, DB_KINDS, TEST_API_KEY, TEST_INSTANCE_ID, type TestApp } from '../helpers/app.js';

// Snapshots through app.request on real Postgres and PGlite, with the fake runtime's commit/removeImage.

type Json = Record<string, any>;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** A lease owner on this host whose pid does not exist: what a crashed server leaves behind. */
const DEAD_OWNER = 'test-host:4194000:0-dead#abc';

describe.each(DB_KINDS)('snapshot API on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function sandbox(overrides: Json = {}): Promise<string> {
    const res = await t.call('POST', '/v1/sandboxes', createBody(overrides));
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as Json).id;
  }

  async function snapshot(sandboxId: string, body?: unknown): Promise<Json> {
    const res = await t.call('POST', `/v1/sandboxes/${sandboxId}/snapshots`, body);
    expect(res.status, await res.clone().text()).toBe(202);
    return (await res.json()) as Json;
  }

  /** The capture runs after the 202; the fake finishes it within a few event-loop turns. */
  async function settled(id: string): Promise<Json> {
    for (let i = 0; i < 200; i++) {
      const body = (await (await t.call('GET', `/v1/snapshots/${id}`)).json()) as Json;
      if (body.status?.state !== 'Creating') return body;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`snapshot ${id} stayed Creating`);
  }

  async function readySnapshot(overrides: Json = {}): Promise<{ sandboxId: string; id: string }> {
    const sandboxId = await sandbox(overrides);
    const { id } = await snapshot(sandboxId, {});
    expect((await settled(id)).status.state).toBe('Ready');
    return { sandboxId, id };
  }

  async function expectError(res: Response, status: number, code: string) {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(JSON.parse(text).code, text).toBe(code);
  }

  it('answers 202 Creating with a Location, then settles Ready with a committed, labelled image', async () => {
    const sandboxId = await sandbox();
    const res = await t.call('POST', `/v1/sandboxes/${sandboxId}/snapshots`, { name: 'checkpoint-before-import' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Json;
    expect(body).toEqual({
      id: expect.stringMatching(/^snap_[0-9a-f]{28}$/),
      sandboxId,
      name: 'checkpoint-before-import',
      status: { state: 'Creating', reason: 'snapshot_accepted', message: expect.any(String), lastTransitionAt: expect.stringMatching(ISO) },
      createdAt: t.clock.now().toISOString(),
    });
    expect(res.headers.get('location')).toBe(`/v1/snapshots/${body.id}`);

    const done = await settled(body.id);
    expect(done).toMatchObject({ id: body.id, sandboxId, name: 'checkpoint-before-import', status: { state: 'Ready', reason: 'snapshot_ready' } });
    expect(Object.keys(done).sort()).toEqual(['createdAt', 'id', 'name', 'sandboxId', 'status']);
    const image = t.runtime.committed.get(`berth-snapshot:${body.id}`);
    expect(image?.labels).toEqual({
      [LABELS.managed]: 'true',
      [LABELS.instance]: TEST_INSTANCE_ID,
      [LABELS.snapshotId]: body.id,
      [LABELS.hostId]: 'test-host',
    });
    const [row] = await t.deps.db.select().from(snapshots).where(eq(snapshots.id, body.id));
    expect(row).toMatchObject({ state: 'Ready', imageId: image!.imageId, imageRef: `berth-snapshot:${body.id}`, leaseOwner: null, hostId: 'test-host' });
    // The source keeps running.
    expect(((await (await t.call('GET', `/v1/sandboxes/${sandboxId}`)).json()) as Json).status.state).toBe('Running');
  });

  it('accepts no body at all, and a Paused source', async () => {
    const sandboxId = await sandbox();
    const bare = await t.app.request(`/v1/sandboxes/${sandboxId}/snapshots`, { method: 'POST', headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
    expect(bare.status, await bare.clone().text()).toBe(202);
    const b = (await bare.json()) as Json;
    expect(b).not.toHaveProperty('name');
    expect((await settled(b.id)).status.state).toBe('Ready');

    expect((await t.call('POST', `/v1/sandboxes/${sandboxId}/pause`)).status).toBe(202);
    const paused = await snapshot(sandboxId, {});
    expect((await settled(paused.id)).status.state).toBe('Ready');
  });

  it('refuses an empty name (400), an unknown or deleted sandbox (404) and a sandbox that is not Running/Paused (409)', async () => {
    const sandboxId = await sandbox();
    await expectError(await t.call('POST', `/v1/sandboxes/${sandboxId}/snapshots`, { name: '' }), 400, 'SANDBOX::INVALID_PARAMETER');
    await expectError(await t.call('POST', '/v1/sandboxes/no-such-sandbox/snapshots', {}), 404, 'DOCKER::SANDBOX_NOT_FOUND');
    for (const state of ['Failed', 'Terminated', 'Pending', 'Stopping'] as const) {
      await t.deps.db.update(sandboxes).set({ state }).where(eq(sandboxes.id, sandboxId));
      await expectError(await t.call('POST', `/v1/sandboxes/${sandboxId}/snapshots`, {}), 409, 'SNAPSHOT::INVALID_SOURCE_STATE');
    }
    await t.deps.db.update(sandboxes).set({ state: 'Running' }).where(eq(sandboxes.id, sandboxId));
    expect((await t.call('DELETE', `/v1/sandboxes/${sandboxId}`)).status).toBe(204);
    await expectError(await t.call('POST', `/v1/sandboxes/${sandboxId}/snapshots`, {}), 404, 'DOCKER::SANDBOX_NOT_FOUND');
  });

  it('settles Failed with a reason when the commit fails, and leaves no image', async () => {
    const sandboxId = await sandbox();
    t.runtime.failNext('commit', 1, 'Error response from daemon: no space left on device');
    const { id } = await snapshot(sandboxId, {});
    const done = await settled(id);
    expect(done.status).toMatchObject({ state: 'Failed', reason: 'snapshot_capture_failed', message: 'Error response from daemon: no space left on device' });
    expect(t.runtime.images.has(`berth-snapshot:${id}`)).toBe(false);
    expect(t.runtime.calls).toContain(`removeImage berth-snapshot:${id}`);
  });

  it('GET of an unknown snapshot is 404 SNAPSHOT::NOT_FOUND', async () => {
    await expectError(await t.call('GET', '/v1/snapshots/snap_nope'), 404, 'SNAPSHOT::NOT_FOUND');
    await expectError(await t.call('DELETE', '/v1/snapshots/snap_nope'), 404, 'SNAPSHOT::NOT_FOUND');
  });

  it('lists newest first with sandboxId, repeated state, name filters and pagination', async () => {
    const src = await sandbox();
    const ids: string[] = [];
    for (const name of ['a', 'b', 'a']) {
      t.clock.advance(1000);
      const { id } = await snapshot(src, { name });
      await settled(id);
      ids.push(id);
    }
    t.runtime.failNext('commit');
    t.clock.advance(1000);
    const failed = (await snapshot(src, {})).id;
    await settled(failed);

    const list = async (q: string) => (await (await t.call('GET', `/v1/snapshots?${q}`)).json()) as Json;
    const all = await list(`sandboxId=${src}`);
    expect(all.items.map((s: Json) => s.id)).toEqual([failed, ids[2], ids[1], ids[0]]);
    expect(all.pagination).toEqual({ page: 1, pageSize: 20, totalItems: 4, totalPages: 1, hasNextPage: false });
    expect((await list(`sandboxId=${src}&name=a`)).items.map((s: Json) => s.id)).toEqual([ids[2], ids[0]]);
    expect((await list(`sandboxId=${src}&state=Failed`)).items.map((s: Json) => s.id)).toEqual([failed]);
    expect((await list(`sandboxId=${src}&state=ready&state=FAILED`)).pagination.totalItems).toBe(4);
    expect((await list(`sandboxId=${src}&state=Bogus`)).pagination.totalItems).toBe(0);
    const page2 = await list(`sandboxId=${src}&page=2&pageSize=3`);
    expect(page2.items.map((s: Json) => s.id)).toEqual([ids[0]]);
    expect(page2.pagination).toEqual({ page: 2, pageSize: 3, totalItems: 4, totalPages: 2, hasNextPage: false });
    expect((await list(`sandboxId=${src}&pageSize=3`)).pagination.hasNextPage).toBe(true);
    await expectError(await t.call('GET', '/v1/snapshots?pageSize=0'), 400, 'SANDBOX::INVALID_PARAMETER');
    await expectError(await t.call('GET', '/v1/snapshots?page=x'), 400, 'SANDBOX::INVALID_PARAMETER');
  });

  it('refuses to delete a Creating snapshot (409 INVALID_STATE) and restores from it only once Ready (409 NOT_READY)', async () => {
    const sandboxId = await sandbox();
    let release!: () => void;
    t.runtime.commitGate = new Promise<void>((r) => (release = r));
    try {
      const { id } = await snapshot(sandboxId, {});
      await expectError(await t.call('DELETE', `/v1/snapshots/${id}`), 409, 'SNAPSHOT::INVALID_STATE');
      await expectError(await t.call('POST', '/v1/sandboxes', { resourceLimits: {}, snapshotId: id }), 409, 'SNAPSHOT::NOT_READY');
      release();
      expect((await settled(id)).status.state).toBe('Ready');
    } finally {
      t.runtime.commitGate = null;
      release();
    }
  });

  it('restores a sandbox from a Ready snapshot: its image, tail -f /dev/null by default, snapshotId instead of image', async () => {
    const { id } = await readySnapshot();
    const ref = `berth-snapshot:${id}`;
    const before = t.runtime.calls.length;
    const res = await t.call('POST', '/v1/sandboxes', { snapshotId: id, timeout: 600, resourceLimits: {} });
    expect(res.status, await res.clone().text()).toBe(202);
    const created = (await res.json()) as Json;
    expect(created).toMatchObject({ status: { state: 'Running' }, entrypoint: ['tail', '-f', '/dev/null'] });
    expect(created).not.toHaveProperty('image');
    expect(created).not.toHaveProperty('snapshotId');
    // No pull for a snapshot image: it lives on this engine only.
    expect(t.runtime.calls.slice(before).some((c) => c.startsWith('ensureImage'))).toBe(false);
    const container = [...t.runtime.containers.values()].find((c) => c.spec.labels[LABELS.sandboxId] === created.id);
    expect(container?.spec).toMatchObject({ image: ref, cmd: ['tail', '-f', '/dev/null'] });

    const got = (await (await t.call('GET', `/v1/sandboxes/${created.id}`)).json()) as Json;
    expect(got.snapshotId).toBe(id);
    expect(got).not.toHaveProperty('image');

    const custom = await t.call('POST', '/v1/sandboxes', { resourceLimits: {}, snapshotId: id, entrypoint: ['sh', '-c', 'sleep 1000'] });
    expect(((await custom.json()) as Json).entrypoint).toEqual(['sh', '-c', 'sleep 1000']);
  });

  it('answers restore errors in upstream order: 400 both/neither, 404 unknown, 409 not ready, then the entrypoint', async () => {
    const { id } = await readySnapshot();
    await expectError(
      await t.call('POST', '/v1/sandboxes', { resourceLimits: {}, snapshotId: id, image: { uri: 'berth-base:latest' }, entrypoint: ['x'] }),
      400,
      'SANDBOX::INVALID_PARAMETER',
    );
    await expectError(await t.call('POST', '/v1/sandboxes', { entrypoint: ['x'] }), 400, 'SANDBOX::INVALID_PARAMETER');
    await expectError(
      await t.call('POST', '/v1/sandboxes', { resourceLimits: {}, snapshotId: 'snap_nope', extensions: { poolRef: 'p' } }),
      400,
      'SANDBOX::INVALID_PARAMETER',
    );
    await expectError(await t.call('POST', '/v1/sandboxes', { resourceLimits: {}, snapshotId: 'snap_nope', timeout: 60 }), 404, 'SNAPSHOT::NOT_FOUND');
    const src = await sandbox();
    t.runtime.failNext('commit');
    const failed = (await snapshot(src, {})).id;
    await settled(failed);
    await expectError(await t.call('POST', '/v1/sandboxes', { resourceLimits: {}, snapshotId: failed }), 409, 'SNAPSHOT::NOT_READY');
    await expectError(
      await t.call('POST', '/v1/sandboxes', { resourceLimits: {}, snapshotId: id, metadata: { 'opensandbox.io/x': 'y' } }),
      400,
      'SANDBOX::INVALID_METADATA_LABEL',
    );
  });

  it('deletes: 409 DELETE_CONFLICT while a restored sandbox lives, then 204 and the image is gone', async () => {
    const { id } = await readySnapshot();
    const restored = await sandbox({ image: undefined, entrypoint: undefined, snapshotId: id });
    await expectError(await t.call('DELETE', `/v1/snapshots/${id}`), 409, 'SNAPSHOT::DELETE_CONFLICT');
    expect(((await (await t.call('GET', `/v1/snapshots/${id}`)).json()) as Json).status.state).toBe('Ready');
    expect(t.runtime.images.has(`berth-snapshot:${id}`)).toBe(true);

    expect((await t.call('DELETE', `/v1/sandboxes/${restored}`)).status).toBe(204);
    const del = await t.call('DELETE', `/v1/snapshots/${id}`);
    expect(del.status, await del.clone().text()).toBe(204);
    expect(t.runtime.images.has(`berth-snapshot:${id}`)).toBe(false);
    await expectError(await t.call('GET', `/v1/snapshots/${id}`), 404, 'SNAPSHOT::NOT_FOUND');
    await expectError(await t.call('DELETE', `/v1/snapshots/${id}`), 404, 'SNAPSHOT::NOT_FOUND');
  });

  it('answers DELETE_CONFLICT when the engine refuses (a container still uses the image) and keeps the snapshot Ready', async () => {
    const { id } = await readySnapshot();
    // A container the database no longer counts as live (its row deleted, its removal failed).
    const stray = await t.runtime.createAndStart({ ...[...t.runtime.containers.values()][0]!.spec, name: 'stray', image: `berth-snapshot:${id}` });
    await expectError(await t.call('DELETE', `/v1/snapshots/${id}`), 409, 'SNAPSHOT::DELETE_CONFLICT');
    const [row] = await t.deps.db.select().from(snapshots).where(eq(snapshots.id, id));
    expect(row).toMatchObject({ state: 'Ready', leaseOwner: null });
    await t.runtime.remove(stray.containerId);
    expect((await t.call('DELETE', `/v1/snapshots/${id}`)).status).toBe(204);
  });

  it('a Failed snapshot (no image) can be deleted', async () => {
    const src = await sandbox();
    t.runtime.failNext('commit');
    const { id } = await snapshot(src, {});
    await settled(id);
    expect((await t.call('DELETE', `/v1/snapshots/${id}`)).status).toBe(204);
  });

  it('appends snapshot.created, snapshot.ready and snapshot.deleted events', async () => {
    const { sandboxId, id } = await readySnapshot();
    expect((await t.call('DELETE', `/v1/snapshots/${id}`)).status).toBe(204);
    const rows = await t.deps.db
      .select()
      .from(events)
      .where(sql`${events.data}->>'snapshotId' = ${id}`)
      .orderBy(events.seq);
    expect(rows.map((e) => [e.type, e.sandboxId, e.toState])).toEqual([
      ['snapshot.created', sandboxId, 'Creating'],
      ['snapshot.ready', sandboxId, 'Ready'],
      ['snapshot.deleted', sandboxId, 'Deleted'],
    ]);
  });

  describe('the reaper', () => {
    async function insertInFlight(state: 'Creating' | 'Deleting', leaseOwner: string) {
      const id = `snap_reap${Math.random().toString(16).slice(2, 10)}`;
      const now = t.clock.now();
      await t.deps.db.insert(snapshots).values({
        id,
        sandboxId: 'src',
        state,
        lastTransitionAt: now,
        imageRef: `berth-snapshot:${id}`,
        hostId: 'test-host',
        createdAt: now,
        leaseOwner,
        leaseUntil: new Date(now.getTime() + 3_600_000),
      });
      t.runtime.images.add(`berth-snapshot:${id}`); // the half-made (or to-be-deleted) image
      return id;
    }

    it('fails a Creating snapshot whose owner died and removes its half-made image; leaves live owners alone', async () => {
      const dead = await insertInFlight('Creating', DEAD_OWNER);
      const mine = await insertInFlight('Creating', `${t.deps.processId}#live`);
      const result = await reapSnapshotsOnce(t.deps);
      expect(result.failedCreates).toBe(1);
      const [d] = await t.deps.db.select().from(snapshots).where(eq(snapshots.id, dead));
      expect(d).toMatchObject({ state: 'Failed', reason: 'snapshot_interrupted', leaseOwner: null });
      expect(t.runtime.images.has(`berth-snapshot:${dead}`)).toBe(false);
      const [m] = await t.deps.db.select().from(snapshots).where(eq(snapshots.id, mine));
      expect(m!.state).toBe('Creating');
      expect(t.runtime.images.has(`berth-snapshot:${mine}`)).toBe(true);
      await t.deps.db.delete(snapshots).where(eq(snapshots.id, mine));
      // An expired lease is dead too, whoever held it.
      const expired = await insertInFlight('Creating', `${t.deps.processId}#old`);
      t.clock.advance(2 * 3_600_000);
      expect((await reapSnapshotsOnce(t.deps)).failedCreates).toBe(1);
      const [e] = await t.deps.db.select().from(snapshots).where(eq(snapshots.id, expired));
      expect(e!.state).toBe('Failed');
    });

    it('finishes a Deleting snapshot whose owner died', async () => {
      const id = await insertInFlight('Deleting', DEAD_OWNER);
      expect((await reapSnapshotsOnce(t.deps)).finishedDeletes).toBe(1);
      expect(await t.deps.db.select().from(snapshots).where(eq(snapshots.id, id))).toEqual([]);
      expect(t.runtime.images.has(`berth-snapshot:${id}`)).toBe(false);
    });
  });
});

import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, sandboxes } from '../../src/db/schema/index.js';
import { observeContainerEvent } from '../../src/domain/sandbox/observe-container.js';
import { LABELS } from '../../src/domain/ports.js';
import { buildTestApp, createBody, DB_KINDS, type TestApp } from '../helpers/app.js';

// Every state change of a sandbox appends its event, in order, with the states, the reason and who did it,
// and nothing secret; a change that is refused appends nothing.
describe.each(DB_KINDS)('sandbox events on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(async () => t?.close());

  const eventsOf = (id: string) => t.deps.db.select().from(events).where(eq(events.sandboxId, id)).orderBy(asc(events.seq));

  it("records each step of a sandbox's life through the API", async () => {
    const created = (await (await t.call('POST', '/v1/sandboxes', createBody({ timeout: 600 }))).json()) as { id: string };
    const id = created.id;
    expect((await t.call('PATCH', `/v1/sandboxes/${id}/metadata`, { team: 'a' })).status).toBe(200);
    expect((await t.call('POST', `/v1/sandboxes/${id}/pause`)).status).toBe(202);
    expect((await t.call('POST', `/v1/sandboxes/${id}/pause`)).status).toBe(409); // refused: no event
    expect((await t.call('POST', `/v1/sandboxes/${id}/resume`)).status).toBe(202);
    const later = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    expect((await t.call('POST', `/v1/sandboxes/${id}/renew-expiration`, { expiresAt: later })).status).toBe(200);
    expect((await t.call('DELETE', `/v1/sandboxes/${id}`, undefined, { 'X-Request-ID': 'req-delete-1' })).status).toBe(204);

    const log = await eventsOf(id);
    expect(log.map((e) => [e.type, e.fromState, e.toState])).toEqual([
      ['sandbox.created', null, 'Pending'],
      ['sandbox.running', 'Pending', 'Running'],
      ['sandbox.metadata_updated', null, null],
      ['sandbox.paused', 'Running', 'Paused'],
      ['sandbox.resumed', 'Paused', 'Running'],
      ['sandbox.renewed', null, null],
      ['sandbox.deleted', 'Running', 'Terminated'],
    ]);
    expect(log.at(-1)).toMatchObject({ reason: 'user_delete', actor: 'api:req-delete-1' });
    expect(log.every((e) => e.actor.startsWith('api:'))).toBe(true);
    for (let i = 1; i < log.length; i++) expect(log[i]!.seq).toBeGreaterThan(log[i - 1]!.seq);
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
  });

  it('records a container that exits by itself as terminated or failed, with the exit code', async () => {
    const { id } = (await (await t.call('POST', '/v1/sandboxes', createBody())).json()) as { id: string };
    const [row] = await t.deps.db.select().from(sandboxes).where(eq(sandboxes.id, id));
    await observeContainerEvent(t.deps, { action: 'die', containerId: row!.containerId!, labels: { [LABELS.sandboxId]: id }, exitCode: 137, time: new Date() });
    const last = (await eventsOf(id)).at(-1)!;
    expect(last).toMatchObject({ type: 'sandbox.failed', fromState: 'Running', toState: 'Failed', reason: 'container_exited', actor: 'docker-events' });
    expect(last.data).toEqual({ exitCode: 137 });
    // The same event again (Docker redelivers after a reconnect) changes nothing and appends nothing.
    await observeContainerEvent(t.deps, { action: 'die', containerId: row!.containerId!, labels: { [LABELS.sandboxId]: id }, exitCode: 137, time: new Date() });
    expect((await eventsOf(id)).filter((e) => e.type === 'sandbox.failed')).toHaveLength(1);
  });

  it('a failed create leaves only its sandbox.failed event, with no secret in any event', async () => {
    t.runtime.failNext('start');
    const r = await t.call('POST', '/v1/sandboxes', createBody({ image: { uri: 'berth-base:latest', auth: { username: 'u', password: 'p4ss-in-event?' } } }));
    expect(r.status).toBe(500);
    const all = await t.deps.db.select().from(events).orderBy(asc(events.seq));
    const failed = all.filter((e) => e.type === 'sandbox.failed' && e.reason === 'DOCKER::SANDBOX_START_FAILED');
    expect(failed).toHaveLength(1);
    const [gone] = await t.deps.db.select().from(sandboxes).where(eq(sandboxes.id, failed[0]!.sandboxId!));
    expect(gone).toBeUndefined();
    expect(JSON.stringify(all)).not.toContain('p4ss-in-event?');
  });
});

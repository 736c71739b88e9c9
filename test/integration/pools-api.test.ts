import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, poolSlots } from '../../src/db/schema/index.js';
import { fillPoolsOnce } from '../../src/domain/pools/fill-pools.js';
import { createSandbox } from '../../src/domain/sandbox/create-sandbox.js';
import { buildTestApp, createBody, DB_KINDS, TEST_IMAGE, type TestApp } from '../helpers/app.js';

// Pool CRUD through app.request on real Postgres and PGlite (the fake runtime: no container is made here;
// the filler and claims run on the real engine in pools-engine.test.ts).

type Json = Record<string, any>;
const template = {
  image: { uri: TEST_IMAGE },
  entrypoint: ['tail', '-f', '/dev/null'],
  resourceLimits: { cpu: '1', memory: '256Mi' },
  env: { A: '1', SECRET: 's3cr3t' },
};

describe.each(DB_KINDS)('pool API on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status, await res.clone().text()).toBe(status);
    expect(((await res.json()) as Json).code).toBe(code);
  };

  it('creates, gets, lists, replaces and deletes a pool; env values never come back', async () => {
    const created = await t.call('POST', '/v1/pools', { name: 'py', template, idleTarget: 2, maxSandboxes: 5 });
    expect(created.status, await created.clone().text()).toBe(201);
    const body = (await created.json()) as Json;
    expect(body).toMatchObject({
      name: 'py',
      template: {
        image: { uri: TEST_IMAGE },
        entrypoint: ['tail', '-f', '/dev/null'],
        resourceLimits: { cpu: '1', memory: '256Mi' },
        envNames: ['A', 'SECRET'],
      },
      idleTarget: 2,
      maxSandboxes: 5,
      generation: 1,
      status: { idle: 0, starting: 0, claiming: 0 },
    });
    expect(body).not.toHaveProperty('maxIdleSeconds');
    expect(JSON.stringify(body)).not.toContain('s3cr3t');

    expect(((await (await t.call('GET', '/v1/pools/py')).json()) as Json).name).toBe('py');
    expect(((await (await t.call('GET', '/pools/py')).json()) as Json).name).toBe('py'); // served at / too
    const list = (await (await t.call('GET', '/v1/pools')).json()) as Json;
    expect(list.items.map((p: Json) => p.name)).toEqual(['py']);

    // Same template, new sizes: the generation stays (idle slots remain good); a new template bumps it.
    const sized = (await (await t.call('PUT', '/v1/pools/py', { template, idleTarget: 1, maxIdleSeconds: 600 })).json()) as Json;
    expect(sized).toMatchObject({ idleTarget: 1, maxIdleSeconds: 600, generation: 1 });
    expect(sized).not.toHaveProperty('maxSandboxes');
    const retemplated = await t.call('PUT', '/v1/pools/py', { template: { ...template, env: { A: '2' } }, idleTarget: 1 });
    expect(((await retemplated.json()) as Json).generation).toBe(2);

    const del = await t.call('DELETE', '/v1/pools/py');
    expect(del.status).toBe(204);
    expect(del.headers.get('content-length')).toBe('0');
    await expectError(await t.call('GET', '/v1/pools/py'), 404, 'POOL::NOT_FOUND');
    await expectError(await t.call('DELETE', '/v1/pools/py'), 404, 'POOL::NOT_FOUND');
    await expectError(await t.call('PUT', '/v1/pools/py', { template, idleTarget: 1 }), 404, 'POOL::NOT_FOUND');

    const types = (await t.testDb.handle.db.select({ type: events.type, data: events.data }).from(events))
      .map((e) => e.type)
      .filter((x) => x.startsWith('pool.'));
    expect(types).toEqual(['pool.created', 'pool.updated', 'pool.updated', 'pool.deleted']);
    const all = JSON.stringify(await t.testDb.handle.db.select().from(events));
    expect(all).not.toContain('s3cr3t');
  });

  it('refuses a duplicate name with 409 and leaves the first pool as it was', async () => {
    expect((await t.call('POST', '/v1/pools', { name: 'dup', template, idleTarget: 1 })).status).toBe(201);
    await expectError(
      await t.call('POST', '/v1/pools', { name: 'dup', template: { ...template, entrypoint: ['sleep', '1'] }, idleTarget: 3 }),
      409,
      'POOL::ALREADY_EXISTS',
    );
    const p = (await (await t.call('GET', '/v1/pools/dup')).json()) as Json;
    expect(p).toMatchObject({ idleTarget: 1, template: { entrypoint: ['tail', '-f', '/dev/null'] } });
    await t.call('DELETE', '/v1/pools/dup');
  });

  it.each([
    ['a name that is not a DNS label', { name: 'Bad_Name' }, 'SANDBOX::INVALID_PARAMETER'],
    ['a name too long', { name: 'a'.repeat(64) }, 'SANDBOX::INVALID_PARAMETER'],
    ['no template', { template: undefined }, 'SANDBOX::INVALID_PARAMETER'],
    ['an image that is not a reference', { template: { ...template, image: { uri: 'Not An Image!' } } }, 'SANDBOX::INVALID_PARAMETER'],
    ['an empty entrypoint command', { template: { ...template, entrypoint: [''] } }, 'DOCKER::INVALID_ENTRYPOINT'],
    ['an env key with =', { template: { ...template, env: { 'A=B': 'x' } } }, 'SANDBOX::INVALID_PARAMETER'],
    ['a windows platform', { template: { ...template, platform: { os: 'windows', arch: 'amd64' } } }, 'SANDBOX::INVALID_PARAMETER'],
    ['a negative idleTarget', { idleTarget: -1 }, 'SANDBOX::INVALID_PARAMETER'],
    ['a fractional idleTarget', { idleTarget: 1.5 }, 'SANDBOX::INVALID_PARAMETER'],
    ['an idleTarget over 100', { idleTarget: 101 }, 'SANDBOX::INVALID_PARAMETER'],
    ['maxSandboxes below idleTarget', { idleTarget: 3, maxSandboxes: 2 }, 'SANDBOX::INVALID_PARAMETER'],
    ['maxIdleSeconds below 60', { maxIdleSeconds: 30 }, 'SANDBOX::INVALID_PARAMETER'],
    ['idleTarget a string', { idleTarget: '2' }, 'SANDBOX::INVALID_PARAMETER'],
  ])('refuses %s with 400 and makes nothing', async (_label, patch, code) => {
    await expectError(await t.call('POST', '/v1/pools', { name: 'bad', template, idleTarget: 1, ...patch }), 400, code);
    await expectError(await t.call('GET', '/v1/pools/bad'), 404, 'POOL::NOT_FOUND');
    expect(await t.testDb.handle.db.select().from(poolSlots).where(eq(poolSlots.poolName, 'bad'))).toEqual([]);
  });

  it('answers a poolRef to an unknown pool with 404 at once and makes no sandbox', async () => {
    const before = await t.countRows();
    await expectError(await t.call('POST', '/v1/sandboxes', createBody({ extensions: { poolRef: 'nope' } })), 404, 'POOL::NOT_FOUND');
    // poolRef makes image, entrypoint and resourceLimits optional, as upstream; still 404 when the pool is unknown
    await expectError(await t.call('POST', '/v1/sandboxes', { extensions: { poolRef: 'nope' } }), 404, 'POOL::NOT_FOUND');
    await expectError(
      await t.call('POST', '/v1/sandboxes', { snapshotId: 'snap_1', resourceLimits: {}, extensions: { poolRef: 'nope' } }),
      400,
      'SANDBOX::INVALID_PARAMETER',
    );
    expect(await t.countRows()).toBe(before);
    expect(t.runtime.containers.size).toBe(0);
  });

  it('a poolRef create without an idle slot is a cold create of the template (image, entrypoint, limits and env filled in)', async () => {
    expect((await t.call('POST', '/v1/pools', { name: 'cold', template, idleTarget: 0 })).status).toBe(201);
    const res = await t.call('POST', '/v1/sandboxes', { extensions: { poolRef: 'cold' }, timeout: 600 });
    expect(res.status, await res.clone().text()).toBe(202);
    const id = ((await res.json()) as Json).id;
    const got = (await (await t.call('GET', `/v1/sandboxes/${id}`)).json()) as Json;
    expect(got).toMatchObject({ image: { uri: TEST_IMAGE }, entrypoint: ['tail', '-f', '/dev/null'], status: { state: 'Running' } });
    const spec = [...t.runtime.containers.values()].at(-1)!.spec;
    expect(spec.env).toEqual({ A: '1', SECRET: 's3cr3t' });
    expect(spec.memoryBytes).toBe(256 * 2 ** 20);
    await t.call('DELETE', `/v1/sandboxes/${id}`);
    await t.call('DELETE', '/v1/pools/cold');
  });

  it('a claim that fails half way (this runtime cannot change limits) is a cold create; the slot and its container go', async () => {
    expect((await t.call('POST', '/v1/pools', { name: 'half', template, idleTarget: 1 })).status).toBe(201);
    expect(await fillPoolsOnce(t.deps)).toMatchObject({ started: 1 });
    const [slot] = await t.testDb.handle.db.select().from(poolSlots).where(eq(poolSlots.poolName, 'half'));
    expect(t.runtime.containers.has(slot!.containerId!)).toBe(true);
    const res = await t.call('POST', '/v1/sandboxes', { extensions: { poolRef: 'half' }, resourceLimits: { cpu: '1', memory: '512Mi' } });
    expect(res.status, await res.clone().text()).toBe(202);
    const id = ((await res.json()) as Json).id;
    expect(id).not.toBe(slot!.id);
    expect(await t.testDb.handle.db.select().from(poolSlots).where(eq(poolSlots.poolName, 'half'))).toEqual([]);
    expect(t.runtime.containers.has(slot!.containerId!)).toBe(false);
    await t.call('DELETE', `/v1/sandboxes/${id}`);
  });

  it('matches a request equal to a template without poolRef only while BERTH_POOL_IMPLICIT_MATCH is on', async () => {
    await fillPoolsOnce(t.deps);
    const [slot] = await t.testDb.handle.db.select().from(poolSlots).where(eq(poolSlots.poolName, 'half'));
    const request = { image: { uri: TEST_IMAGE }, entrypoint: template.entrypoint, resourceLimits: template.resourceLimits, env: template.env };
    const off = await createSandbox({ ...t.deps, config: { ...t.deps.config, poolImplicitMatch: false } }, request, 'test');
    expect(off.id).not.toBe(slot!.id);
    expect(off.poolName).toBeNull();
    const on = await createSandbox(t.deps, request, 'test');
    expect(on).toMatchObject({ id: slot!.id, poolName: 'half', containerId: slot!.containerId });
    for (const s of [off, on]) await t.call('DELETE', `/v1/sandboxes/${s.id}`);
    await t.call('DELETE', '/v1/pools/half');
  });

  it('is in the OpenAPI document', async () => {
    // From the registry the /openapi.json route serves (the route itself is covered by openapi-compat.test.ts).
    const doc = t.app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'berth', version: '0' } }) as Json;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/pools', '/v1/pools/{poolName}']));
    expect(Object.keys(doc.paths['/v1/pools/{poolName}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    expect(doc.components.schemas).toHaveProperty('Pool');
  });
});

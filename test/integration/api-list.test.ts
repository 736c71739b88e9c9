import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createBody, DB_KINDS, type TestApp } from '../helpers/app.js';

// GET /sandboxes: pagination math, newest first, state and metadata filters. Each test tags its sandboxes
// with a unique metadata value and filters on it, so tests in one database never see each other's rows.

const q = (pairs: Record<string, string>) =>
  encodeURIComponent(
    Object.entries(pairs)
      .map(([k, v]) => `${k}=${v}`)
      .join('&'),
  );

describe.each(DB_KINDS)('GET /sandboxes on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** n sandboxes one second apart, oldest first; returns their ids in creation order */
  async function createTagged(n: number, metadata: Record<string, string>): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      t.clock.advance(1000);
      const res = await t.call('POST', '/v1/sandboxes', createBody({ metadata }));
      expect(res.status).toBe(202);
      ids.push((await res.json()).id);
    }
    return ids;
  }

  async function list(query: string) {
    const res = await t.call('GET', `/v1/sandboxes?${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as {
      items: Array<{ id: string; status: { state: string }; metadata?: Record<string, string> }>;
      pagination: Record<string, unknown>;
    };
  }

  it('pages newest first with exact pagination math', async () => {
    const tag = randomBytes(4).toString('hex');
    const ids = await createTagged(5, { run: tag });
    const newestFirst = [...ids].reverse();
    const filter = `metadata=${q({ run: tag })}`;

    const p1 = await list(`${filter}&pageSize=2`);
    expect(p1.items.map((s) => s.id)).toEqual(newestFirst.slice(0, 2));
    expect(p1.pagination).toEqual({ page: 1, pageSize: 2, totalItems: 5, totalPages: 3, hasNextPage: true });

    const p2 = await list(`${filter}&pageSize=2&page=2`);
    expect(p2.items.map((s) => s.id)).toEqual(newestFirst.slice(2, 4));

    const p3 = await list(`${filter}&pageSize=2&page=3`);
    expect(p3.items.map((s) => s.id)).toEqual(newestFirst.slice(4));
    expect(p3.pagination).toEqual({ page: 3, pageSize: 2, totalItems: 5, totalPages: 3, hasNextPage: false });

    const past = await list(`${filter}&pageSize=2&page=4`);
    expect(past).toEqual({ items: [], pagination: { page: 4, pageSize: 2, totalItems: 5, totalPages: 3, hasNextPage: false } });

    const defaults = await list(filter);
    expect(defaults.pagination).toEqual({ page: 1, pageSize: 20, totalItems: 5, totalPages: 1, hasNextPage: false });
    expect(defaults.items.map((s) => s.id)).toEqual(newestFirst);

    const exact = await list(`${filter}&pageSize=5`);
    expect(exact.pagination).toMatchObject({ totalPages: 1, hasNextPage: false });
  });

  it('an empty result has totalPages 0', async () => {
    const none = await list(`metadata=${q({ run: 'nothing-has-this' })}`);
    expect(none).toEqual({ items: [], pagination: { page: 1, pageSize: 20, totalItems: 0, totalPages: 0, hasNextPage: false } });
  });

  it('filters by repeated state (OR, case-insensitive) combined with metadata (AND)', async () => {
    const tag = randomBytes(4).toString('hex');
    const [a, b, c] = await createTagged(3, { run: tag });
    expect((await t.call('POST', `/v1/sandboxes/${b}/pause`)).status).toBe(202);
    const filter = `metadata=${q({ run: tag })}`;

    expect((await list(`${filter}&state=Paused`)).items.map((s) => s.id)).toEqual([b]);
    expect((await list(`${filter}&state=running`)).items.map((s) => s.id)).toEqual([c, a]);
    expect((await list(`${filter}&state=Running&state=PAUSED`)).items.map((s) => s.id)).toEqual([c, b, a]);
    expect((await list(`${filter}&state=Bogus`)).pagination.totalItems).toBe(0);
  });

  it('matches metadata keys with a prefix (a.example.com/b arrives as a.example.com%2Fb), AND across keys', async () => {
    const tag = randomBytes(4).toString('hex');
    const [one] = await createTagged(1, { 'a.example.com/b': tag, team: 'ml' });
    await createTagged(1, { 'a.example.com/b': tag, team: 'web' });

    // What the SDK sends: the whole k=v&k=v string percent-encoded once.
    const both = await t.call('GET', `/v1/sandboxes?metadata=${q({ 'a.example.com/b': tag, team: 'ml' })}`);
    const body = await both.json();
    expect(body.items.map((s: { id: string }) => s.id)).toEqual([one]);
    expect(body.items[0].metadata).toEqual({ 'a.example.com/b': tag, team: 'ml' });
    expect(`metadata=${q({ 'a.example.com/b': tag })}`).toContain('a.example.com%2Fb');
    expect((await list(`metadata=${q({ 'a.example.com/b': tag })}`)).pagination.totalItems).toBe(2);
    expect((await list(`metadata=${q({ 'a.example.com/b': tag, team: 'none' })}`)).pagination.totalItems).toBe(0);
  });

  it('does not list deleted sandboxes', async () => {
    const tag = randomBytes(4).toString('hex');
    const [a, b] = await createTagged(2, { run: tag });
    expect((await t.call('DELETE', `/v1/sandboxes/${a}`)).status).toBe(204);
    expect((await list(`metadata=${q({ run: tag })}`)).items.map((s) => s.id)).toEqual([b]);
  });
});

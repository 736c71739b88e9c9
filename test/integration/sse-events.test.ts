import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/domain/deps.js';
import { isDomainError } from '../../src/domain/errors.js';
import { appendEvent } from '../../src/domain/events/append.js';
import type { NewEvent } from '../../src/domain/events/types.js';
import { isEventStreamPath, registerEventRoutes } from '../../src/http/routes/events.js';
import type { TestDb } from '../helpers/db.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';
import { openSse } from '../helpers/sse-client.js';
import { freshPostgres, waitFor, webhookDeps } from '../helpers/webhook-fixtures.js';

// A real listening server (node-server), a real streaming HTTP client, real Postgres.
let t: TestDb;
let deps: Deps;
let listening: Listening;
let base: string;

beforeAll(async () => {
  t = await freshPostgres();
  deps = webhookDeps(t.handle.db);
  const app = new OpenAPIHono({
    defaultHook: (r, c) => (r.success ? undefined : c.json({ code: 'SANDBOX::INVALID_PARAMETER', message: 'invalid request' }, 400)),
  });
  app.onError((err, c) => (isDomainError(err) ? c.json({ code: err.code, message: err.message }, 400) : c.json({ code: 'X', message: 'x' }, 500)));
  registerEventRoutes(app, deps, { pollMs: 20, heartbeatMs: 150 });
  listening = await listenOnRandomPort(app.fetch);
  base = listening.base;
});
afterAll(async () => {
  await listening.close();
  await t.drop();
});

const emit = (e: Partial<NewEvent> = {}) =>
  deps.db.transaction((tx) => appendEvent(tx, deps, { type: 'sandbox.running', sandboxId: 'sbx-a', actor: 'test', ...e })).then((r) => r[0]!);
const emitMany = async (n: number, e: Partial<NewEvent> = {}) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await emit(e));
  return out;
};

describe('GET /v1/events (SSE)', () => {
  it('a client that disconnects and reconnects with Last-Event-ID gets exactly the missed events, in order', async () => {
    const first = await openSse(`${base}/v1/events`);
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const live = await emitMany(5);
    await waitFor(() => first.messages.length === 5);
    expect(first.messages.map((m) => Number(m.id))).toEqual(live.map((e) => e.seq));
    expect(first.messages[0]!.event).toBe('sandbox.running');
    const lastSeen = first.lastEventId()!;
    await first.close();

    const missed = await emitMany(7, { type: 'sandbox.paused' });
    const second = await openSse(`${base}/v1/events`, { 'last-event-id': lastSeen });
    await waitFor(() => second.messages.length >= 7);
    const after = await emitMany(2, { type: 'sandbox.resumed' });
    await waitFor(() => second.messages.length >= 9);
    await new Promise((r) => setTimeout(r, 100)); // nothing extra may arrive
    await second.close();
    expect(second.events().map((e) => e.seq)).toEqual([...missed, ...after].map((e) => e.seq));
    expect(second.events().map((e) => e.id)).toEqual([...missed, ...after].map((e) => e.id));
  });

  it('no gaps and no duplicates across a reconnect while several writers append concurrently', async () => {
    const start = (await emit()).seq;
    let client = await openSse(`${base}/v1/events?after=${start}`);
    const received: number[] = [];
    let writing = true;
    const writers = [0, 1, 2, 3].map(async (w) => {
      let n = 0;
      while (writing && n < 60) {
        await emit({ sandboxId: `w${w}` });
        n++;
      }
    });
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 60 + round * 40));
      received.push(...client.events().map((e) => e.seq));
      const resumeFrom = client.lastEventId() ?? String(received.at(-1) ?? start);
      await client.close();
      client = await openSse(`${base}/v1/events?after=${start}`, { 'last-event-id': resumeFrom });
    }
    await Promise.all(writers);
    writing = false;
    const all = (await deps.db.query.events.findMany({ columns: { seq: true } })).map((e) => e.seq).filter((s) => s > start);
    await waitFor(() => received.length + client.messages.length >= all.length, 10_000);
    received.push(...client.events().map((e) => e.seq));
    await client.close();
    expect(all.length).toBe(240);
    expect(received).toEqual([...all].sort((a, b) => a - b)); // every event once, in seq order
  });

  it('filters by types and sandboxId', async () => {
    const c = await openSse(`${base}/v1/events?types=sandbox.deleted,sandbox.expired&sandboxId=sbx-keep`);
    await emit({ type: 'sandbox.deleted', sandboxId: 'sbx-other' });
    await emit({ type: 'sandbox.running', sandboxId: 'sbx-keep' });
    const want = [await emit({ type: 'sandbox.deleted', sandboxId: 'sbx-keep' }), await emit({ type: 'sandbox.expired', sandboxId: 'sbx-keep' })];
    await waitFor(() => c.messages.length >= 2);
    await new Promise((r) => setTimeout(r, 80));
    await c.close();
    expect(c.events().map((e) => e.seq)).toEqual(want.map((e) => e.seq));
    expect(c.events().map((e) => [e.type, e.sandboxId])).toEqual([
      ['sandbox.deleted', 'sbx-keep'],
      ['sandbox.expired', 'sbx-keep'],
    ]);
  });

  it('starts at the head without a resume point, replays with ?after, and Last-Event-ID wins over ?after', async () => {
    const old = await emit({ sandboxId: 'sbx-old' });
    const fresh = await openSse(`${base}/v1/events`);
    const next = await emit({ sandboxId: 'sbx-new' });
    await waitFor(() => fresh.messages.length === 1);
    await fresh.close();
    expect(fresh.events()[0]!.seq).toBe(next.seq);

    const replay = await openSse(`${base}/v1/events?after=${old.seq - 1}`);
    await waitFor(() => replay.messages.length >= 2);
    await replay.close();
    expect(
      replay
        .events()
        .slice(0, 2)
        .map((e) => e.seq),
    ).toEqual([old.seq, next.seq]);

    const both = await openSse(`${base}/v1/events?after=0`, { 'last-event-id': String(old.seq) });
    await waitFor(() => both.messages.length >= 1);
    await both.close();
    expect(both.events()[0]!.seq).toBe(next.seq);
  });

  it('sends heartbeat comments while idle', async () => {
    const c = await openSse(`${base}/v1/events?types=mount.recovered`);
    await waitFor(() => c.comments.filter((x) => x === 'heartbeat').length >= 2, 3_000);
    await c.close();
    expect(c.comments[0]).toBe('connected');
  });

  it('rejects unknown types and a malformed Last-Event-ID with 400', async () => {
    expect((await fetch(`${base}/v1/events?types=sandbox.bogus`)).status).toBe(400);
    const bad = await fetch(`${base}/v1/events`, { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('EVENTS::INVALID_LAST_EVENT_ID');
  });

  it('stops polling the database once the client has gone', async () => {
    let selects = 0;
    const counting = new Proxy(deps.db, {
      get(target, prop, recv) {
        if (prop === 'select') selects++;
        return Reflect.get(target, prop, recv);
      },
    });
    const app = new OpenAPIHono();
    registerEventRoutes(app, { ...deps, db: counting }, { pollMs: 10, heartbeatMs: 10_000 });
    const srv = await listenOnRandomPort(app.fetch);
    const c = await openSse(`${srv.base}/v1/events`);
    await waitFor(() => selects >= 5);
    await c.close();
    await new Promise((r) => setTimeout(r, 100));
    const settled = selects;
    await new Promise((r) => setTimeout(r, 300));
    expect(selects - settled).toBe(0);
    await srv.close();
  });

  it('tells the auth middleware which path may carry ?api_key=', () => {
    expect(isEventStreamPath('/v1/events')).toBe(true);
    expect(isEventStreamPath('/v1/webhooks')).toBe(false);
    expect(isEventStreamPath('/v1/events/../sandboxes')).toBe(false);
  });
});

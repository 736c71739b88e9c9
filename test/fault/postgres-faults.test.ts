import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/domain/ports.js';
import { createBody } from '../helpers/app.js';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { startReceiver } from '../helpers/webhook-fixtures.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

// The fault tier: a real berth server process on a Postgres cluster of the test's own, under a bounded
// create/get/delete load, while the test terminates berth's backends in the middle of transactions and
// then restarts Postgres. berth must stay up, answer every request (2xx, 4xx or 503, never a 500, a socket
// error or a hang), resume its loops, and leave rows and containers agreeing.

const REQUEST_TIMEOUT_MS = 20_000;
const WORKERS = 3;
const ROUNDS = 3;
/** Rounds of terminating every berth backend with no client traffic (the repro: 30, 100-400 ms apart). */
const IDLE_KILLS = 30;
/** How long a 503 may take during the outage (the issue: "answer 503 quickly"). */
const UNAVAILABLE_WITHIN_MS = 5_000;

let pg: PrivatePostgres;
let admin: postgres.Sql;
let srv: ServerProc;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

type Outcome = { what: string; status?: number; code?: string; error?: string; ms: number };
const outcomes: Outcome[] = [];

async function request(what: string, path: string, init: RequestInit = {}): Promise<Response | null> {
  const t0 = performance.now();
  try {
    const res = await srv.api(path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { code?: string }).code;
    } catch {
      /* an empty 204 */
    }
    outcomes.push({ what, status: res.status, code, ms: performance.now() - t0 });
    return new Response(res.status === 204 ? null : text, { status: res.status });
  } catch (err) {
    outcomes.push({ what, error: `${(err as Error).name}: ${(err as Error).message}`, ms: performance.now() - t0 });
    return null;
  }
}

/** One client: create, get, delete, again, until told to stop. */
async function client(stop: { now: boolean }): Promise<void> {
  while (!stop.now) {
    const created = await request('create', '/v1/sandboxes', { method: 'POST', body: JSON.stringify(createBody()) });
    const id = created?.status === 202 ? ((await created.json()) as { id: string }).id : null;
    if (!id) {
      await sleep(100);
      continue;
    }
    await request('get', `/v1/sandboxes/${id}`);
    // A delete answered 503 is retried, as a client would; the row is finished by the server either way.
    for (let i = 0; i < 20; i++) {
      const del = await request('delete', `/v1/sandboxes/${id}`, { method: 'DELETE' });
      if (del && del.status !== 503) break;
      await sleep(250);
    }
  }
}

const berthBackends = (inTransactionOnly: boolean) =>
  admin`select pg_terminate_backend(pid) as killed from pg_stat_activity
        where application_name = 'berth' and (${!inTransactionOnly} or xact_start is not null)`;

async function liveRowsAndContainers() {
  const rows = await admin<{ id: string; state: string }[]>`select id, state from sandboxes where deleted_at is null`;
  const containers = await containersOf(srv.instanceId);
  return {
    unsettled: rows.filter((r) => r.state === 'Pending' || r.state === 'Stopping').map((r) => r.id),
    liveRows: rows.filter((r) => r.state !== 'Terminated' && r.state !== 'Failed').map((r) => r.id),
    containers: containers.map((c) => c.Labels[LABELS.sandboxId] ?? '?'),
  };
}

beforeAll(async () => {
  pg = await startPrivatePostgres();
  admin = postgres(pg.url, { max: 1, onnotice: () => {}, connection: { application_name: 'fault-admin' } });
  srv = await startServer({
    databaseUrl: pg.url,
    env: { BERTH_REAPER_INTERVAL_MS: '250', BERTH_RECONCILE_INTERVAL_MS: '2000', BERTH_WEBHOOK_ALLOW_PRIVATE: 'yes' },
  });
  // A webhook endpoint on this machine: its deliveries show the webhook loop resumed after the outage.
  receiver = await startReceiver();
  const hook = await srv.api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: receiver.url(), eventTypes: ['sandbox.created'] }) });
  if (hook.status !== 201) throw new Error(`webhook registration answered ${hook.status}: ${await hook.text()}`);
});

afterAll(async () => {
  if (srv) {
    await srv.kill('SIGKILL');
    await removeInstanceContainers(srv.instanceId);
  }
  await receiver?.close();
  await admin?.end({ timeout: 1 }).catch(() => {});
  await pg?.destroy();
});

describe('berth on a Postgres that drops it', () => {
  // The first finding: with no client traffic at all, berth's own loops (webhooks poll every 50 ms,
  // the reaper every 250 ms here) are on the wire when their backends are terminated; postgres.js 3.4.9
  // ended the process then (a write on a closed socket) in about half the runs.
  it('stays up with no client traffic while its backends are terminated again and again', async () => {
    let exited: string | null = null;
    srv.child.once('exit', (code, signal) => (exited = `exit ${code} ${signal}`));
    let killed = 0;
    for (let i = 0; i < IDLE_KILLS && exited === null; i++) {
      killed += (await berthBackends(false)).length;
      await sleep(100 + Math.floor(Math.random() * 300));
    }
    await sleep(1000);
    expect(exited, srv.lines.slice(-30).join('\n')).toBeNull();
    expect(killed, 'backends terminated').toBeGreaterThan(IDLE_KILLS / 2);
    expect((await request('ready', '/ready'))?.status).toBe(200);
    outcomes.length = 0; // the load test below counts its own requests
    console.log(`fault tier, no traffic: ${IDLE_KILLS} rounds of pg_terminate_backend killed ${killed} backends; the server stayed up`);
  });

  it('stays up through terminated backends and a restart under load, answers every request, and converges', async () => {
    let exited: string | null = null;
    srv.child.once('exit', (code, signal) => (exited = `exit ${code} ${signal}`));
    const stop = { now: false };
    const load = Array.from({ length: WORKERS }, () => client(stop));

    // Three rounds of: kill berth's backends that are inside a transaction until several were hit, then all
    // of them a few times; then restart Postgres (pg_ctl restart -m fast), all under the same load.
    let inTransaction = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(1500);
      const before = inTransaction;
      for (let i = 0; i < 200 && inTransaction - before < 5; i++) {
        inTransaction += (await berthBackends(true)).length;
        await sleep(50);
      }
      for (let i = 0; i < 5; i++) {
        await berthBackends(false);
        await sleep(300);
      }
      await sleep(1000);
      await pg.restart(); // the admin connection reconnects by itself
      await sleep(2000);
    }
    expect(inTransaction, 'backends terminated in the middle of a transaction').toBeGreaterThanOrEqual(5 * ROUNDS);
    stop.now = true;
    await Promise.all(load);

    expect(exited, srv.lines.slice(-30).join('\n')).toBeNull();
    // Every request got an answer: no socket error, no timeout (a hang), no 5xx but 503.
    const bad = outcomes.filter((o) => o.status === undefined || (o.status >= 500 && o.status !== 503));
    expect(bad, JSON.stringify(bad.slice(0, 10))).toEqual([]);
    const unavailable = outcomes.filter((x) => x.status === 503);
    for (const o of unavailable) expect(['DATABASE::UNAVAILABLE', 'DOCKER::ENGINE_UNREACHABLE']).toContain(o.code);
    // ...and quickly: the connect timeout (2 s) bounds a wait for a database that is not there, and a create
    // that had started its container before the outage cleans it up first (an engine call or two).
    const slow = unavailable.filter((o) => o.ms > UNAVAILABLE_WITHIN_MS).map((o) => `${o.what} ${Math.round(o.ms)} ms`);
    expect(slow, `503s slower than ${UNAVAILABLE_WITHIN_MS} ms`).toEqual([]);
    expect(outcomes.filter((o) => o.what === 'create' && o.status === 202).length).toBeGreaterThan(0);

    // 3. The loops resumed: a create after the outage works, an expiry is reaped, and the reaper and the
    // reconciler settle every row the faults left half-done, so rows and containers agree.
    const after = await request('create', '/v1/sandboxes', { method: 'POST', body: JSON.stringify(createBody()) });
    expect(after?.status).toBe(202);
    const { id } = (await after!.json()) as { id: string };
    const renew = await request('renew', `/v1/sandboxes/${id}/renew-expiration`, {
      method: 'POST',
      body: JSON.stringify({ expiresAt: new Date(Date.now() + 2000).toISOString() }),
    });
    expect(renew?.status).toBe(200);
    let state = await liveRowsAndContainers();
    for (let i = 0; i < 120; i++) {
      const gone = (await request('get', `/v1/sandboxes/${id}`))?.status === 404;
      state = await liveRowsAndContainers();
      if (gone && state.unsettled.length === 0 && sameSet(state.liveRows, state.containers)) break;
      await sleep(500);
    }
    expect((await request('get', `/v1/sandboxes/${id}`))?.status, 'the expired sandbox was reaped').toBe(404);
    // the webhook loop too: the created event of the sandbox made after the outage reached the receiver
    const deliveredFor = () => receiver.delivered.filter((r) => r.body.includes(id)).length;
    for (let i = 0; i < 60 && deliveredFor() === 0; i++) await sleep(500);
    expect(deliveredFor(), 'the sandbox.created webhook of the create after the outage').toBeGreaterThan(0);
    expect(state.unsettled, 'rows left Pending or Stopping').toEqual([]);
    expect([...state.containers].sort(), 'containers = live rows').toEqual([...state.liveRows].sort());
    expect(exited).toBeNull();
    expect((await request('ready', '/ready'))?.status).toBe(200);

    const summary = outcomes.reduce<Record<string, number>>(
      (m, o) => ((m[`${o.what} ${o.status ?? o.error}`] = (m[`${o.what} ${o.status ?? o.error}`] ?? 0) + 1), m),
      {},
    );
    const ms = unavailable.map((o) => o.ms).sort((a, b) => a - b);
    const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0);
    console.log(
      `fault tier: ${inTransaction} backends killed mid-transaction, ${outcomes.length} requests: ${JSON.stringify(summary)}; ` +
        `503 answered in p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms; ${receiver.delivered.length} sandbox.created webhooks delivered`,
    );
  });
});

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}

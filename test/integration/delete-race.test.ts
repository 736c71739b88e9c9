import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';

// A sandbox going away while requests for it are in flight: a DELETE through berth, or the container
// removed behind berth's back (`docker rm -f`). A request that passed berth's state check just before meets
// an engine that is removing the container, whose archive API answers a bare 500 then (the fuzz tier found
// it). Every answer must still be below 500 and in berth's error shape: the client raced a delete, which is
// its own doing, and the server is fine.

const ROUNDS = 4;
const LOOPS = 6;

type Call = { name: string; run: (t: ExecdApp, id: string) => Promise<Response> };

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const upload = () => {
  const form = new FormData();
  form.append('metadata', new Blob([JSON.stringify({ path: `/tmp/race/${Math.random()}` })]), 'metadata');
  form.append('file', new Blob(['x'.repeat(1000)]), 'file');
  return { method: 'POST', body: form };
};

const CALLS: Call[] = [
  { name: 'info', run: (t, id) => t.execd(id, '/files/info?path=/tmp') },
  { name: 'download', run: (t, id) => t.execd(id, '/files/download?path=/etc/hostname') },
  { name: 'upload', run: (t, id) => t.execd(id, '/files/upload', upload()) },
  { name: 'mkdir', run: (t, id) => t.execd(id, '/directories', json({ [`/tmp/d${Math.random()}`]: { mode: 755 } })) },
  { name: 'list', run: (t, id) => t.execd(id, '/directories/list?path=/tmp') },
  { name: 'search', run: (t, id) => t.execd(id, '/files/search?path=/etc&pattern=*') },
  { name: 'metrics', run: (t, id) => t.execd(id, '/metrics') },
  { name: 'command', run: (t, id) => t.execd(id, '/command', json({ command: 'echo hi' })) },
  { name: 'ping', run: (t, id) => t.execd(id, '/ping') },
  { name: 'get', run: (t, id) => t.api(`/v1/sandboxes/${id}`) },
  { name: 'endpoint', run: (t, id) => t.api(`/v1/sandboxes/${id}/endpoints/44772`) },
  { name: 'pause', run: (t, id) => t.api(`/v1/sandboxes/${id}/pause`, { method: 'POST' }) },
  { name: 'resume', run: (t, id) => t.api(`/v1/sandboxes/${id}/resume`, { method: 'POST' }) },
  { name: 'renew', run: (t, id) => t.api(`/v1/sandboxes/${id}/renew-expiration`, json({ expiresAt: new Date(Date.now() + 3_600_000).toISOString() })) },
  { name: 'metadata', run: (t, id) => t.api(`/v1/sandboxes/${id}/metadata`, { ...json({ race: 'yes' }), method: 'PATCH' }) },
  { name: 'snapshot', run: (t, id) => t.api(`/v1/sandboxes/${id}/snapshots`, json({})) },
];

type Seen = { name: string; status: number; body: string };

/** Send calls round-robin until the sandbox has answered 404 a few times (it is gone) or the time is up. */
async function hammer(t: ExecdApp, id: string, offset: number, until: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  let gone = 0;
  for (let i = offset; gone < 3 && Date.now() < until; i++) {
    const call = CALLS[i % CALLS.length]!;
    const res = await call.run(t, id);
    const body = await res.text(); // a command's stream to its end
    seen.push({ name: call.name, status: res.status, body });
    if (res.status === 404) gone++;
  }
  return seen;
}

const badAnswers = (seen: Seen[]) =>
  seen
    .filter((s) => {
      if (s.status >= 500) return true;
      if (s.status < 400) return false;
      try {
        const b = JSON.parse(s.body) as { code?: unknown; message?: unknown };
        return typeof b.code !== 'string' || typeof b.message !== 'string';
      } catch {
        return true;
      }
    })
    .map((s) => `${s.name} ${s.status} ${s.body.slice(0, 200)}`);

describe('requests racing a sandbox that goes away (real engine, Postgres)', () => {
  let t: ExecdApp;
  beforeAll(async () => {
    t = await buildExecdApp('postgres');
  });
  afterAll(async () => {
    await t?.close();
  });

  const race = async (remove: (id: string) => Promise<unknown>) => {
    const all: Seen[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const id = await t.createSandbox();
      const until = Date.now() + 15_000;
      const loops = Array.from({ length: LOOPS }, (_, i) => hammer(t, id, i * 2, until));
      await new Promise((r) => setTimeout(r, 150 + round * 50));
      await remove(id);
      all.push(...(await Promise.all(loops)).flat());
    }
    return all;
  };

  // As an operator would: `docker rm -f`, again if the engine's storage driver failed it part way (it can,
  // with files being written into the container meanwhile; berth's own remove retries the same way).
  const removeBehindBerth = async (id: string) => {
    const container = t.docker.getContainer(await containerOf(id));
    for (let i = 0; ; i++) {
      try {
        return await container.remove({ force: true });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return;
        if (i === 20) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };

  const containerOf = async (id: string) => (await t.docker.listContainers({ all: true, filters: { label: [`berth.sandbox-id=${id}`] } }))[0]!.Id;

  it('a DELETE through berth: every answer below 500, in {code, message}', async () => {
    const seen = await race(async (id) => {
      const res = await t.api(`/v1/sandboxes/${id}`, { method: 'DELETE' });
      expect(res.status, await res.text()).toBe(204);
    });
    expect(badAnswers(seen)).toEqual([]);
    // the race happened: answers before the delete succeeded, answers after it were refusals
    expect(seen.some((s) => s.status === 200)).toBe(true);
    expect(seen.some((s) => s.status === 404)).toBe(true);
  });

  it('the container removed behind berth (docker rm -f): every answer below 500, in {code, message}', async () => {
    const seen = await race((id) => removeBehindBerth(id));
    expect(badAnswers(seen)).toEqual([]);
    expect(seen.some((s) => s.status === 200)).toBe(true);
    expect(seen.some((s) => s.status === 404 || s.status === 409)).toBe(true);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxes } from '../../src/db/schema/index.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';

describe('execd /ping on a real engine', () => {
  let t: ExecdApp;
  beforeAll(async () => {
    t = await buildExecdApp('postgres');
  });
  afterAll(() => t.close());

  it('answers 200 with an empty body while Running, 409 JSON while paused, and needs the API key', async () => {
    const id = await t.createSandbox();
    const ok = await t.execd(id, '/ping');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-length')).toBe('0');
    expect(await ok.text()).toBe('');

    const anonymous = await t.app.request(`/v1/sandboxes/${id}/proxy/44772/ping`);
    expect(anonymous.status).toBe(401);

    expect((await t.api(`/v1/sandboxes/${id}/pause`, { method: 'POST' })).status).toBe(202);
    const paused = await t.execd(id, '/ping');
    expect(paused.status).toBe(409);
    expect(await paused.json()).toMatchObject({ code: 'SANDBOX_PAUSED' });

    const unknown = await t.execd('nope', '/ping');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'DOCKER::SANDBOX_NOT_FOUND' });
  });

  it('answers 409 at once, ping and commands alike, when the container was stopped behind berth', async () => {
    const id = await t.createSandbox();
    const [row] = await t.deps.db.select({ containerId: sandboxes.containerId }).from(sandboxes).where(eq(sandboxes.id, id));
    await t.docker.getContainer(row!.containerId!).kill();
    const ping = await t.execd(id, '/ping');
    expect(ping.status).toBe(409);
    expect(await ping.json()).toMatchObject({ code: 'SANDBOX_NOT_RUNNING' });
    const cmd = await t.execd(id, '/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"command":"true"}' });
    expect(cmd.status).toBe(409);
    expect((await cmd.json()).code).toBe('SANDBOX_NOT_RUNNING');
  });

  it('answers the code interpreter 501 with a JSON body', async () => {
    const res = await t.execd('any', '/code', { method: 'POST', body: '{}' });
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({ code: 'NOT_SUPPORTED' });
  });
});

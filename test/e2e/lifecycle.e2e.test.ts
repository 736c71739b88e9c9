import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { waitForValue } from '../helpers/wait.js';

// The whole life of a sandbox on a real server process, the embedded database and the real Docker engine.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'berth-base:latest';
let server: ServerProc;

const create = (body: Record<string, unknown>) =>
  server.api('/v1/sandboxes', {
    method: 'POST',
    body: JSON.stringify({
      image: { uri: IMAGE },
      entrypoint: ['tail', '-f', '/dev/null'],
      resourceLimits: { cpu: '500m', memory: '128Mi', pids: '128' },
      ...body,
    }),
  });
const json = async (r: Response) => (await r.json()) as Record<string, any>;
const waitFor = <T>(fn: () => Promise<T | undefined>, ms = 15_000) => waitForValue(fn, ms);

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
});

describe('a sandbox from create to delete', () => {
  it('creates, reads, lists, patches, pauses, resumes, renews, resolves endpoints and deletes', async () => {
    const res = await create({ timeout: 600, metadata: { team: 'alpha', 'a.example.com/b': 'x' }, env: { GREETING: 'hi' } });
    expect(res.status).toBe(202);
    const created = await json(res);
    expect(created.status.state).toBe('Running');
    expect(created.entrypoint).toEqual(['tail', '-f', '/dev/null']);
    expect(new Date(created.expiresAt).getTime() - new Date(created.createdAt).getTime()).toBe(600_000);
    const id = created.id as string;

    // The container is real, labelled as ours, limited and hardened.
    const [c] = await containersOf(server.instanceId);
    expect(c?.Labels['berth.sandbox-id']).toBe(id);
    const info = await docker.getContainer(c!.Id).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.HostConfig.Memory).toBe(128 * 2 ** 20);
    expect(info.HostConfig.NanoCpus).toBe(5e8);
    expect(info.HostConfig.PidsLimit).toBe(128);
    expect(info.HostConfig.CapDrop).toContain('SYS_ADMIN');
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(info.Config.Env).toContain('GREETING=hi');

    const got = await json(await server.api(`/v1/sandboxes/${id}`));
    expect(got).toMatchObject({ id, image: { uri: IMAGE }, metadata: { team: 'alpha' }, status: { state: 'Running' } });
    expect(got.createdAt).toBe(created.createdAt);

    const listed = await json(await server.api(`/v1/sandboxes?state=running&metadata=${encodeURIComponent('a.example.com/b=x&team=alpha')}`));
    expect(listed.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(listed.pagination).toEqual({ page: 1, pageSize: 20, totalItems: 1, totalPages: 1, hasNextPage: false });

    const patched = await json(await server.api(`/v1/sandboxes/${id}/metadata`, { method: 'PATCH', body: JSON.stringify({ team: null, owner: 'bob' }) }));
    expect(patched.metadata).toEqual({ 'a.example.com/b': 'x', owner: 'bob' });

    const pause = await server.api(`/v1/sandboxes/${id}/pause`, { method: 'POST' });
    expect(pause.status).toBe(202);
    expect(pause.headers.get('content-length')).toBe('0');
    expect((await docker.getContainer(c!.Id).inspect()).State.Paused).toBe(true);
    expect((await json(await server.api(`/v1/sandboxes/${id}`))).status.state).toBe('Paused');
    const again = await server.api(`/v1/sandboxes/${id}/pause`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await json(again)).code).toBe('DOCKER::SANDBOX_NOT_RUNNING');

    expect((await server.api(`/v1/sandboxes/${id}/resume`, { method: 'POST' })).status).toBe(202);
    expect((await docker.getContainer(c!.Id).inspect()).State.Paused).toBe(false);
    const resumeAgain = await server.api(`/v1/sandboxes/${id}/resume`, { method: 'POST' });
    expect(resumeAgain.status).toBe(409);
    expect((await json(resumeAgain)).code).toBe('DOCKER::SANDBOX_NOT_PAUSED');

    const newExpiry = new Date(Date.now() + 3_600_000).toISOString();
    const renewed = await json(await server.api(`/v1/sandboxes/${id}/renew-expiration`, { method: 'POST', body: JSON.stringify({ expiresAt: newExpiry }) }));
    expect(new Date(renewed.expiresAt).toISOString()).toBe(newExpiry);

    const ports = info.NetworkSettings.Ports;
    const hostPort8080 = ports['8080/tcp']?.[0]?.HostPort;
    const ep = await json(await server.api(`/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=false`));
    expect(ep.endpoint).toBe(`127.0.0.1:${hostPort8080}`);
    // not published: through this server's proxy (to the container IP); execd is this server itself
    const other = await json(await server.api(`/v1/sandboxes/${id}/endpoints/3000`));
    expect(other.endpoint).toBe(`127.0.0.1:${server.port}/sandboxes/${id}/proxy/3000`);
    const execd = await json(await server.api(`/v1/sandboxes/${id}/endpoints/44772?use_server_proxy=false`));
    expect(execd.endpoint).toBe(`127.0.0.1:${server.port}/sandboxes/${id}/proxy/44772`);
    expect((await server.api(`/v1/sandboxes/${id}/endpoints/70000`)).status).toBe(400);

    const del = await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await server.api(`/v1/sandboxes/${id}`)).status).toBe(404);
    expect(await containersOf(server.instanceId)).toEqual([]);
    expect((await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('expires a sandbox when its TTL passes and removes its container', async () => {
    const { id } = await json(await create({ timeout: 60 }));
    // As upstream, renew may shorten the expiry: bring it to 1 s from now instead of waiting a minute.
    const soon = new Date(Date.now() + 1000).toISOString();
    expect((await server.api(`/v1/sandboxes/${id}/renew-expiration`, { method: 'POST', body: JSON.stringify({ expiresAt: soon }) })).status).toBe(200);
    await waitFor(async () => ((await server.api(`/v1/sandboxes/${id}`)).status === 404 ? true : undefined));
    const left = (await containersOf(server.instanceId)).filter((c) => c.Labels['berth.sandbox-id'] === id);
    expect(left).toEqual([]);
  });

  it('keeps a manual-cleanup sandbox without expiresAt and refuses to renew it', async () => {
    const created = await json(await create({}));
    expect(created.expiresAt).toBeUndefined();
    const r = await server.api(`/v1/sandboxes/${created.id}/renew-expiration`, {
      method: 'POST',
      body: JSON.stringify({ expiresAt: new Date(Date.now() + 60_000).toISOString() }),
    });
    expect(r.status).toBe(409);
    expect((await json(r)).code).toBe('DOCKER::INVALID_EXPIRATION');
    await server.api(`/v1/sandboxes/${created.id}`, { method: 'DELETE' });
  });

  it('records a container that exits by itself as Terminated or Failed, with the reason', async () => {
    const ok = await json(await create({ entrypoint: ['/bin/sh', '-c', 'sleep 1; exit 0'] }));
    const bad = await json(await create({ entrypoint: ['/bin/sh', '-c', 'sleep 1; exit 3'] }));
    const okState = await waitFor(async () => {
      const s = await json(await server.api(`/v1/sandboxes/${ok.id}`));
      return s.status.state === 'Running' ? undefined : s.status;
    });
    expect(okState).toMatchObject({ state: 'Terminated', reason: 'container_exited' });
    const badState = await waitFor(async () => {
      const s = await json(await server.api(`/v1/sandboxes/${bad.id}`));
      return s.status.state === 'Running' ? undefined : s.status;
    });
    expect(badState).toMatchObject({ state: 'Failed', reason: 'container_exited', message: 'Sandbox container exited with code 3.' });
    // A finished sandbox can still be paused? No: 409, and delete still works.
    expect((await server.api(`/v1/sandboxes/${bad.id}/pause`, { method: 'POST' })).status).toBe(409);
    expect((await server.api(`/v1/sandboxes/${bad.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/v1/sandboxes/${ok.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it("records a container removed behind berth's back", async () => {
    const { id } = await json(await create({}));
    const [c] = (await containersOf(server.instanceId)).filter((x) => x.Labels['berth.sandbox-id'] === id);
    await docker.getContainer(c!.Id).remove({ force: true });
    const status = await waitFor(async () => {
      const s = await json(await server.api(`/v1/sandboxes/${id}`));
      return s.status.reason === 'container_removed' ? s.status : undefined;
    });
    expect(status.state).toBe('Failed');
    expect((await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('answers a failed pull with a clear 500 and leaves no container and no row', async () => {
    const before = await json(await server.api('/v1/sandboxes'));
    const r = await create({ image: { uri: '127.0.0.1:5999/nope/missing:latest', auth: { username: 'u', password: 'hunter2-secret' } } });
    expect(r.status).toBe(500);
    const body = await json(r);
    expect(body.code).toBe('DOCKER::SANDBOX_IMAGE_PULL_FAILED');
    expect(JSON.stringify(body)).not.toContain('hunter2-secret');
    expect(server.lines.join('\n')).not.toContain('hunter2-secret');
    const after = await json(await server.api('/v1/sandboxes'));
    expect(after.pagination.totalItems).toBe(before.pagination.totalItems);
  });

  it('refuses bad input with 400 {code,message} and creates nothing', async () => {
    const before = (await containersOf(server.instanceId)).length;
    for (const body of [{ timeout: 30 }, { entrypoint: [] }, { metadata: { 'opensandbox.io/x': 'y' } }, { image: { uri: '' } }, { resourceLimits: 'lots' }]) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const b = await json(r);
      expect(typeof b.code).toBe('string');
      expect(typeof b.message).toBe('string');
    }
    expect((await containersOf(server.instanceId)).length).toBe(before);
  });

  it("requires the API key with upstream's codes, and echoes X-Request-ID everywhere", async () => {
    const missing = await fetch(`${server.url}/v1/sandboxes`, { headers: { 'X-Request-ID': 'req-123' } });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-request-id')).toBe('req-123');
    expect((await json(missing)).code).toBe('MISSING_API_KEY');
    const wrong = await fetch(`${server.url}/v1/sandboxes`, { headers: { 'OPEN-SANDBOX-API-KEY': 'nope' } });
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).code).toBe('INVALID_API_KEY');
    expect(wrong.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toEqual({ status: 'healthy' });
  });
});

import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToRegistry, startRegistry, type Registry } from '../helpers/registry.js';
import { removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';

// A create whose image is not on the engine pulls it, with `image.auth`, from a real registry that demands
// it; a wrong password is a clear 500 that never repeats the password, and leaves nothing behind.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let registry: Registry;
let server: ServerProc;
let image = '';

beforeAll(async () => {
  registry = await startRegistry();
  image = await pushToRegistry(registry, 'berth-base:latest', 'berth/pull-test', `t${Date.now()}`);
  server = await startServer();
});
afterAll(async () => {
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch(() => {});
  await registry?.stop();
});

const create = (auth: { username: string; password: string }) =>
  server.api('/v1/sandboxes', {
    method: 'POST',
    body: JSON.stringify({ image: { uri: image, auth }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: {}, timeout: 600 }),
  });

describe('image pull with image.auth', () => {
  it('refuses a wrong password with DOCKER::SANDBOX_IMAGE_PULL_FAILED, without echoing it, and creates nothing', async () => {
    const wrong = `${registry.password}-WRONG`;
    const r = await create({ username: registry.username, password: wrong });
    expect(r.status).toBe(500);
    const body = (await r.json()) as { code: string; message: string };
    expect(body.code).toBe('DOCKER::SANDBOX_IMAGE_PULL_FAILED');
    expect(body.message).toContain(image);
    expect(JSON.stringify(body)).not.toContain(wrong);
    expect(server.lines.join('\n')).not.toContain(wrong);
    const list = (await (await server.api('/v1/sandboxes')).json()) as { pagination: { totalItems: number } };
    expect(list.pagination.totalItems).toBe(0);
    await expect(docker.getImage(image).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('pulls the missing image with the right credentials and runs the sandbox', async () => {
    const r = await create({ username: registry.username, password: registry.password });
    expect(r.status).toBe(202);
    const created = (await r.json()) as { id: string; status: { state: string } };
    expect(created.status.state).toBe('Running');
    expect((await docker.getImage(image).inspect()).RepoTags).toContain(image);
    const got = (await (await server.api(`/v1/sandboxes/${created.id}`)).json()) as { image: { uri: string; auth?: unknown } };
    expect(got.image).toEqual({ uri: image }); // the credentials are never echoed
    expect(server.lines.join('\n')).not.toContain(registry.password);
    expect((await server.api(`/v1/sandboxes/${created.id}`, { method: 'DELETE' })).status).toBe(204);
  });
});

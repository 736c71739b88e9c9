import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToRegistry, startRegistry, type Registry } from '../helpers/registry.js';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';

// A create whose image is not on the engine pulls it, with `image.auth`, from a real registry that demands
// it. What the registry says decides the answer: an image it does not have is the client's mistake (400
// DOCKER::IMAGE_NOT_FOUND), so are credentials it refuses (400 DOCKER::IMAGE_PULL_UNAUTHORIZED, never
// repeating the password); a registry that is down or failing stays 500 DOCKER::SANDBOX_IMAGE_PULL_FAILED.
// None of them leaves a row, a container or a Docker volume behind.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let registry: Registry;
let failing: Server;
let failingHost = '';
let server: ServerProc;
let image = '';
const claim = `berth-pull-${Date.now().toString(36)}`;

beforeAll(async () => {
  registry = await startRegistry();
  image = await pushToRegistry(registry, 'berth-base:latest', 'berth/pull-test', `t${Date.now()}`);
  // A registry that is up but broken: every request answers 503.
  failing = createHttpServer((_req, res) => res.writeHead(503, { 'content-length': '0' }).end());
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  failingHost = `127.0.0.1:${(failing.address() as AddressInfo).port}`;
  server = await startServer();
});
afterAll(async () => {
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch(() => {});
  await docker
    .getVolume(claim)
    .remove({ force: true })
    .catch(() => {});
  await new Promise((resolve) => failing?.close(resolve));
  await registry?.stop();
});

const create = (uri: string, auth?: { username: string; password: string }) =>
  server.api('/v1/sandboxes', {
    method: 'POST',
    body: JSON.stringify({
      image: { uri, ...(auth ? { auth } : {}) },
      entrypoint: ['tail', '-f', '/dev/null'],
      resourceLimits: {},
      timeout: 600,
      // A Docker volume berth would create for the sandbox: a refused create must not have made it.
      volumes: [{ name: 'work', mountPath: '/work', pvc: { claimName: claim, createIfNotExists: true } }],
    }),
  });

/** A loopback port nothing listens on (just released by a listener of our own). */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** The refused create left nothing: no row, no container, no Docker volume, no mount. */
async function expectNothingMade() {
  const list = (await (await server.api('/v1/sandboxes')).json()) as { pagination: { totalItems: number } };
  expect(list.pagination.totalItems).toBe(0);
  expect(await containersOf(server.instanceId)).toEqual([]);
  await expect(docker.getVolume(claim).inspect()).rejects.toMatchObject({ statusCode: 404 });
  const mounts = (await (await server.api('/v1/mounts')).json()) as { items: unknown[] };
  expect(mounts.items).toEqual([]);
}

async function expectRefused(r: Response, status: number, code: string, uri: string) {
  const body = (await r.json()) as { code: string; message: string };
  expect({ status: r.status, code: body.code }).toEqual({ status, code });
  expect(body.message).toContain(uri);
  return body;
}

describe('image pull with image.auth', () => {
  it('answers an image the registry does not have with 400 DOCKER::IMAGE_NOT_FOUND and creates nothing', async () => {
    const good = { username: registry.username, password: registry.password };
    // Neither the repository nor, in an existing repository, the tag.
    for (const uri of [`${registry.host}/berth/no-such-repo:v1`, image.replace(/:[^:]+$/, ':no-such-tag')]) {
      await expectRefused(await create(uri, good), 400, 'DOCKER::IMAGE_NOT_FOUND', uri);
      await expectNothingMade();
    }
  });

  it('refuses a wrong or missing password with 400 DOCKER::IMAGE_PULL_UNAUTHORIZED, without echoing it, and creates nothing', async () => {
    const wrong = `${registry.password}-WRONG`;
    const body = await expectRefused(await create(image, { username: registry.username, password: wrong }), 400, 'DOCKER::IMAGE_PULL_UNAUTHORIZED', image);
    expect(JSON.stringify(body)).not.toContain(wrong);
    expect(server.lines.join('\n')).not.toContain(wrong);
    await expectRefused(await create(image), 400, 'DOCKER::IMAGE_PULL_UNAUTHORIZED', image);
    await expectNothingMade();
    await expect(docker.getImage(image).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('keeps a registry that is down or failing a server-side 500 DOCKER::SANDBOX_IMAGE_PULL_FAILED', async () => {
    await expectRefused(await create(`${failingHost}/berth/any:v1`), 500, 'DOCKER::SANDBOX_IMAGE_PULL_FAILED', `${failingHost}/berth/any:v1`);
    const down = `127.0.0.1:${await closedPort()}/berth/any:v1`;
    await expectRefused(await create(down), 500, 'DOCKER::SANDBOX_IMAGE_PULL_FAILED', down);
    await expectNothingMade();
  });

  it("lists the codes in the create route's OpenAPI document under the status it answers them with", async () => {
    const doc = (await (await server.api('/openapi.json')).json()) as {
      paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>;
    };
    const responses = doc.paths['/v1/sandboxes']!.post!.responses;
    expect(responses['400']!.description).toContain('`DOCKER::IMAGE_NOT_FOUND`');
    expect(responses['400']!.description).toContain('`DOCKER::IMAGE_PULL_UNAUTHORIZED`');
    expect(responses['500']!.description).toContain('`DOCKER::SANDBOX_IMAGE_PULL_FAILED`');
  });

  it('pulls the missing image with the right credentials and runs the sandbox', async () => {
    const r = await create(image, { username: registry.username, password: registry.password });
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

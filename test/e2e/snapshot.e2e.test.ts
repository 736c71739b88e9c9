import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../fixtures/docker-exec.js';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { waitForValue } from '../helpers/wait.js';

// Snapshot and restore on a real server process, the embedded database and the real Docker engine:
// a file written inside a sandbox is there in a sandbox restored from its snapshot.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'berth-base:latest';
let server: ServerProc;
const made: string[] = [];

const json = async (r: Response) => (await r.json()) as Record<string, any>;
const waitFor = <T>(fn: () => Promise<T | undefined>, ms = 60_000) => waitForValue(fn, ms);
const containerOf = async (sandboxId: string) => {
  const c = (await containersOf(server.instanceId)).find((x) => x.Labels['berth.sandbox-id'] === sandboxId);
  if (!c) throw new Error(`no container for ${sandboxId}`);
  return docker.getContainer(c.Id);
};

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
  for (const ref of made)
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => {});
});

describe('snapshot and restore on Docker', () => {
  it('captures a file written in a sandbox and restores it; deleting everything removes the image', async () => {
    const res = await server.api('/v1/sandboxes', {
      method: 'POST',
      body: JSON.stringify({
        image: { uri: IMAGE },
        entrypoint: ['sh', '-c', 'echo snap-data > /marker && tail -f /dev/null'],
        resourceLimits: {},
        timeout: 600,
      }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const source = (await json(res)).id as string;
    const sourceContainer = await containerOf(source);
    await waitFor(async () => ((await execIn(sourceContainer, ['cat', '/marker'])).out.includes('snap-data') ? true : undefined), 10_000);

    const snapRes = await server.api(`/v1/sandboxes/${source}/snapshots`, { method: 'POST', body: JSON.stringify({ name: 'e2e' }) });
    expect(snapRes.status, await snapRes.clone().text()).toBe(202);
    const snap = await json(snapRes);
    expect(snap.status.state).toBe('Creating');
    expect(snapRes.headers.get('location')).toBe(`/v1/snapshots/${snap.id}`);
    const ref = `berth-snapshot:${snap.id}`;
    made.push(ref);

    const ready = await waitFor(async () => {
      const s = await json(await server.api(`/v1/snapshots/${snap.id}`));
      return s.status.state === 'Creating' ? undefined : s;
    });
    expect(ready.status, JSON.stringify(ready)).toMatchObject({ state: 'Ready' });
    const image = await docker.getImage(ref).inspect();
    expect(image.Config.Labels).toMatchObject({ 'berth.snapshot-id': snap.id, 'berth.instance': server.instanceId, 'berth.managed': 'true' });
    // The source was paused for the copy and runs again.
    expect((await sourceContainer.inspect()).State).toMatchObject({ Running: true, Paused: false });

    const restoredRes = await server.api('/v1/sandboxes', { method: 'POST', body: JSON.stringify({ snapshotId: snap.id, resourceLimits: {}, timeout: 600 }) });
    expect(restoredRes.status, await restoredRes.clone().text()).toBe(202);
    const restored = await json(restoredRes);
    expect(restored.entrypoint).toEqual(['tail', '-f', '/dev/null']);
    const got = await json(await server.api(`/v1/sandboxes/${restored.id}`));
    expect(got).toMatchObject({ snapshotId: snap.id, status: { state: 'Running' } });
    expect(got).not.toHaveProperty('image');
    const restoredContainer = await containerOf(restored.id);
    expect((await restoredContainer.inspect()).Config.Image).toBe(ref);
    expect(await execIn(restoredContainer, ['cat', '/marker'])).toEqual({ code: 0, out: 'snap-data\n' });

    // The image is in use: the snapshot cannot go yet.
    const conflict = await server.api(`/v1/snapshots/${snap.id}`, { method: 'DELETE' });
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).code).toBe('SNAPSHOT::DELETE_CONFLICT');

    for (const id of [restored.id, source]) expect((await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(204);
    const del = await server.api(`/v1/snapshots/${snap.id}`, { method: 'DELETE' });
    expect(del.status, await del.clone().text()).toBe(204);
    await expect(docker.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await server.api(`/v1/snapshots/${snap.id}`)).status).toBe(404);
  }, 120_000);
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';

// The server proxy to an UNPUBLISHED port on the real engine: busybox httpd on 3000 inside a bridge-mode
// sandbox, which Docker does not publish, reached through berth at the container's own IP.
let t: ExecdApp;
let id: string;

beforeAll(async () => {
  t = await buildExecdApp();
  id = await t.createSandbox({ entrypoint: ['sh', '-c', 'mkdir -p /www && echo hello-inside > /www/index.html && exec httpd -f -p 3000 -h /www'] });
});
afterAll(async () => {
  await t?.close();
});

it('answers an unpublished port with the server proxy, and the proxy reaches it at the container IP, with no API key', async () => {
  const row = (await (await t.api(`/v1/sandboxes/${id}`)).json()) as { status: { state: string } };
  expect(row.status.state).toBe('Running');
  const [c] = await t.docker.listContainers({ filters: { label: [`berth.sandbox-id=${id}`] } });
  const info = await t.docker.getContainer(c!.Id).inspect();
  expect(info.NetworkSettings.Ports['3000/tcp']).toBeUndefined(); // not published: only the container IP serves it
  const ip = info.NetworkSettings.Networks.bridge?.IPAddress;
  expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect((await t.deps.runtime.inspect(c!.Id))?.ipAddress).toBe(ip);

  const ep = await t.api(`/v1/sandboxes/${id}/endpoints/3000?use_server_proxy=false`, { headers: { Host: 'berth.test:8090' } });
  expect(await ep.json()).toEqual({ endpoint: `berth.test:8090/sandboxes/${id}/proxy/3000` });
  const execd = await t.api(`/v1/sandboxes/${id}/endpoints/44772?use_server_proxy=false`, { headers: { Host: 'berth.test:8090' } });
  expect(await execd.json()).toEqual({ endpoint: `berth.test:8090/sandboxes/${id}/proxy/44772` });

  // httpd needs a moment after the container starts; the proxy answers 502 until it listens.
  let got: Response | undefined;
  for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    got = await t.app.request(`/sandboxes/${id}/proxy/3000/index.html`); // no OPEN-SANDBOX-API-KEY
    if (got.status !== 502) break;
  }
  expect(got?.status).toBe(200);
  expect(await got!.text()).toBe('hello-inside\n');
  expect((await t.app.request(`/v1/sandboxes/${id}/proxy/3000/missing.html`)).status).toBe(404);
  // a port nothing listens on inside: a clean 502, not a hang
  const down = await t.app.request(`/sandboxes/${id}/proxy/3001/`);
  expect(down.status).toBe(502);
  expect((await down.json()).code).toBe('SANDBOX::PROXY_UPSTREAM_UNAVAILABLE');
});

import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';

// The server proxy end to end: a real server process, a real container running busybox httpd on 8080
// (published on loopback only), reached through berth with no API key, as a client on another machine would.
let server: ServerProc;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
});

/** Create a sandbox of the test image running `script` (a busybox httpd); its id. */
async function createSandbox(script: string): Promise<string> {
  const res = await server.api('/v1/sandboxes', {
    method: 'POST',
    body: JSON.stringify({
      image: { uri: 'berth-base:latest' },
      entrypoint: ['sh', '-c', script],
      resourceLimits: { cpu: '500m', memory: '128Mi' },
      timeout: 600,
    }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** GET `url` until the proxy stops answering 502 (httpd needs a moment after the container starts), for up to 15 s. */
async function fetchOnceListening(url: string): Promise<Response | undefined> {
  let got: Response | undefined;
  for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    got = await fetch(url);
    if (got.status !== 502) break;
  }
  return got;
}

it('serves a sandbox port through /sandboxes/{id}/proxy/{port} without an API key', async () => {
  const id = await createSandbox('mkdir -p /www && echo hello-proxy > /www/index.html && httpd -f -p 8080 -h /www');

  const ep = await server.api(`/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=true`);
  expect(ep.status).toBe(200);
  const { endpoint } = (await ep.json()) as { endpoint: string };
  expect(endpoint).toBe(`127.0.0.1:${server.port}/sandboxes/${id}/proxy/8080`);

  const got = await fetchOnceListening(`http://${endpoint}/index.html`); // no OPEN-SANDBOX-API-KEY
  expect(got?.status).toBe(200);
  expect(await got!.text()).toBe('hello-proxy\n');

  // httpd answers 404 for a missing file: the sandbox's status comes through as is
  expect((await fetch(`http://${endpoint}/missing.html`)).status).toBe(404);
  // the lifecycle API itself still wants the key
  expect((await fetch(`${server.url}/v1/sandboxes/${id}`)).status).toBe(401);

  // an upgrade request reaches the sandbox too (httpd does not speak WebSocket: it answers, the tunnel carries it)
  const head = await new Promise<string>((resolve, reject) => {
    const s = connect(server.port, '127.0.0.1');
    let buf = '';
    s.on('error', reject);
    s.on('data', (b) => (buf += b.toString('latin1')));
    s.on('close', () => resolve(buf));
    s.write(`GET /sandboxes/${id}/proxy/8080/index.html HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
    setTimeout(() => s.destroy(), 3000);
  });
  expect(head).toMatch(/^HTTP\/1\.[01] \d{3} /);
  expect(head).toContain('hello-proxy');

  expect((await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(204);
  const gone = await fetch(`http://${endpoint}/index.html`);
  expect(gone.status).toBe(404);
});

it("serves an unpublished port (3000) through the server proxy at the container's IP, and answers its endpoint with that address", async () => {
  const id = await createSandbox('mkdir -p /www && echo hello-unpublished > /www/index.html && exec httpd -f -p 3000 -h /www');

  // use_server_proxy=false as the SDK sends it: 3000 is not published, so the answer is still the proxy's
  const ep = await server.api(`/v1/sandboxes/${id}/endpoints/3000?use_server_proxy=false`);
  const { endpoint } = (await ep.json()) as { endpoint: string };
  expect(endpoint).toBe(`127.0.0.1:${server.port}/sandboxes/${id}/proxy/3000`);

  const got = await fetchOnceListening(`http://${endpoint}/index.html`);
  expect(got?.status).toBe(200);
  expect(await got!.text()).toBe('hello-unpublished\n');
  expect((await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(204);
});

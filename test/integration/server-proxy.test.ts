import { serve } from '@hono/node-server';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxes } from '../../src/db/schema/index.js';
import { attachProxyUpgrade } from '../../src/http/proxy/upgrade.js';
import { buildTestApp, createBody, DB_KINDS, TEST_API_KEY, TEST_INSTANCE_ID, type TestApp } from '../helpers/app.js';

// The server proxy through a real node server (@hono/node-server + the upgrade hook), against a local
// node http server standing in for the sandbox's port: the fake runtime's row is pointed at it.

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; bytes: number; sha256: string };

/** The "sandbox": records what it was sent; /stream holds its second chunk until released; upgrades echo. */
async function startTarget(host = '127.0.0.1') {
  const seen: Seen[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  const server = createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (b: Buffer) => {
      bytes += b.length;
      hash.update(b);
    });
    req.on('end', async () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, bytes, sha256: hash.digest('hex') };
      seen.push(s);
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-target': 'yes' });
        res.write('first\n');
        await released;
        res.end('second\n');
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], connection: 'keep-alive, x-hop', 'x-hop': '1' });
      res.end(JSON.stringify(s));
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, bytes: head.length, sha256: '' });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port, seen, release };
}

function startBerth(t: TestApp): Promise<{ server: Server; base: string; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({ server: server as Server, base: `http://127.0.0.1:${info.port}`, port: info.port }),
    ) as Server;
    attachProxyUpgrade(server, t.deps);
  });
}

/** Raw upgrade request; resolves with the socket and the bytes read up to the end of the response head. */
function rawUpgrade(port: number, path: string, extra = ''): Promise<{ socket: Socket; head: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    let buf = '';
    socket.on('error', reject);
    socket.on('data', function onData(b: Buffer) {
      buf += b.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ socket, head: buf.slice(0, end + 4), closed });
    });
    socket.once('close', () => resolve({ socket, head: buf, closed }));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
    );
  });
}

const closeServer = (s: Server | undefined) => new Promise<void>((r) => (s ? (s.closeAllConnections(), s.close(() => r())) : r()));

describe.each(DB_KINDS)('server proxy on %s', (kind) => {
  let t: TestApp;
  let berth: Awaited<ReturnType<typeof startBerth>>;
  let target: Awaited<ReturnType<typeof startTarget>>;
  /** listens on the fake container's own IP (a loopback address of its own), on a port it does not publish */
  let inside: Awaited<ReturnType<typeof startTarget>>;
  let insideIp: string;
  let id: string;

  beforeAll(async () => {
    t = await buildTestApp(kind);
    berth = await startBerth(t);
    target = await startTarget();
    const res = await t.call('POST', '/v1/sandboxes', createBody());
    id = ((await res.json()) as { id: string }).id;
    // The fake runtime "published" 44772 and 8080 on ports nothing listens on; point both at the target
    // (44772 too, to show that execd's port is never forwarded even when published).
    await t.deps.db
      .update(sandboxes)
      .set({ ports: { '44772': target.port, '8080': target.port } })
      .where(eq(sandboxes.id, id));
    const [container] = await t.runtime.listOwned(TEST_INSTANCE_ID);
    insideIp = container!.ipAddress!;
    expect(insideIp).not.toBe('127.0.0.1'); // else the test could not tell the container IP from loopback
    inside = await startTarget(insideIp);
  });
  afterAll(async () => {
    target?.release();
    inside?.release();
    await closeServer(berth?.server);
    await closeServer(target?.server);
    await closeServer(inside?.server);
    await t?.close();
  });

  const last = () => target.seen[target.seen.length - 1]!;

  it("answers use_server_proxy=true with this server's proxy path (request host, no scheme, no /v1); false stays direct", async () => {
    const viaApp = await t.call('GET', `/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=true`);
    expect(await viaApp.json()).toEqual({ endpoint: `localhost/sandboxes/${id}/proxy/8080` });
    const viaHost = await t.call('GET', `/sandboxes/${id}/endpoints/3000?use_server_proxy=true`, undefined, { Host: 'berth.example.com:9000' });
    expect(await viaHost.json()).toEqual({ endpoint: `berth.example.com:9000/sandboxes/${id}/proxy/3000` });
    const real = await fetch(`${berth.base}/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=true`, { headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
    expect(await real.json()).toEqual({ endpoint: `127.0.0.1:${berth.port}/sandboxes/${id}/proxy/8080` });
    const direct = await t.call('GET', `/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=false`);
    expect(await direct.json()).toEqual({ endpoint: `127.0.0.1:${target.port}` });
    const unknown = await t.call('GET', `/v1/sandboxes/no-such/endpoints/8080?use_server_proxy=true`);
    expect(unknown.status).toBe(404);
  });

  it('answers 44772 (execd) with this server in both modes, though the row publishes it; any unpublished port with the proxy', async () => {
    for (const mode of ['false', 'true']) {
      const ep = await t.call('GET', `/v1/sandboxes/${id}/endpoints/44772?use_server_proxy=${mode}`, undefined, { Host: 'berth.example.com:9000' });
      expect(await ep.json(), mode).toEqual({ endpoint: `berth.example.com:9000/sandboxes/${id}/proxy/44772` });
    }
    const real = await fetch(`${berth.base}/v1/sandboxes/${id}/endpoints/44772?use_server_proxy=false`, { headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
    expect(await real.json()).toEqual({ endpoint: `127.0.0.1:${berth.port}/sandboxes/${id}/proxy/44772` });
    const unpublished = await t.call('GET', `/sandboxes/${id}/endpoints/3000?use_server_proxy=false`);
    expect(await unpublished.json()).toEqual({ endpoint: `localhost/sandboxes/${id}/proxy/3000` });
    expect((await t.call('GET', `/v1/sandboxes/no-such/endpoints/44772?use_server_proxy=false`)).status).toBe(404);
  });

  it('proxies without an API key, keeps method, path and query, strips the client secrets, sets X-Forwarded-*', async () => {
    const url = `${berth.base}/v1/sandboxes/${id}/proxy/8080/some/path?x=1&y=a%20b`;
    const res = await fetch(url, {
      method: 'PUT',
      body: 'hi',
      headers: { Cookie: 'berth-session=secret-cookie', Authorization: 'Bearer secret-bearer', 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'X-Custom': 'kept' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('x-hop')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const seen = (await res.json()) as Seen;
    expect(seen).toMatchObject({ method: 'PUT', url: '/some/path?x=1&y=a%20b', bytes: 2 });
    expect(seen.headers).not.toHaveProperty('cookie');
    expect(seen.headers).not.toHaveProperty('authorization');
    expect(seen.headers).not.toHaveProperty('open-sandbox-api-key');
    expect(JSON.stringify(seen.headers)).not.toContain(TEST_API_KEY);
    expect(seen.headers).toMatchObject({
      host: `127.0.0.1:${target.port}`,
      'x-custom': 'kept',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `127.0.0.1:${berth.port}`,
    });

    // at the root too, and without a trailing path
    expect((await fetch(`${berth.base}/sandboxes/${id}/proxy/8080`)).status).toBe(201);
    expect(last().url).toBe('/');
  });

  it("reaches an unpublished port at the container's own IP (asked of the engine), a published one with no engine call", async () => {
    const inspect = vi.spyOn(t.runtime, 'inspect');
    try {
      const res = await fetch(`${berth.base}/sandboxes/${id}/proxy/${inside.port}/api?q=1`);
      expect(res.status).toBe(201);
      expect(inside.seen.at(-1)).toMatchObject({ method: 'GET', url: '/api?q=1' });
      expect(inside.seen.at(-1)!.headers.host).toBe(`${insideIp}:${inside.port}`);
      expect(inspect).toHaveBeenCalledTimes(1);
      inspect.mockClear();
      expect((await fetch(`${berth.base}/sandboxes/${id}/proxy/8080/`)).status).toBe(201);
      expect(inspect).not.toHaveBeenCalled();
    } finally {
      inspect.mockRestore();
    }
  });

  it("never forwards execd's port 44772: berth serves it itself, with the key", async () => {
    const before = target.seen.length;
    const anonymous = await fetch(`${berth.base}/sandboxes/${id}/proxy/44772/some/path`);
    expect(anonymous.status).toBe(401);
    const keyed = await fetch(`${berth.base}/sandboxes/${id}/proxy/44772/some/path`, { headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
    expect(keyed.status).toBe(404);
    expect(target.seen.length).toBe(before);
  });

  it('the lifecycle routes still need the key', async () => {
    const res = await fetch(`${berth.base}/v1/sandboxes/${id}`);
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe('MISSING_API_KEY');
    expect((await fetch(`${berth.base}/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=true`)).status).toBe(401);
  });

  it('streams the response: the first chunk arrives while the target still holds the second', async () => {
    const res = await fetch(`${berth.base}/sandboxes/${id}/proxy/8080/stream`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-target')).toBe('yes');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first\n');
    target.release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('second\n');
  });

  it('streams a 5 MiB upload through (no 413), byte for byte, while lifecycle routes keep their 1 MiB limit', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const res = await fetch(`${berth.base}/v1/sandboxes/${id}/proxy/8080/upload`, { method: 'POST', body });
    expect(res.status).toBe(201);
    const seen = (await res.json()) as Seen;
    expect(seen.bytes).toBe(body.length);
    expect(seen.sha256).toBe(createHash('sha256').update(body).digest('hex'));

    // (through app.request: the real server closes a keep-alive connection after a 413, which would
    // surface as a socket error on the next fetch that undici sends over it)
    const big = await t.call('POST', '/v1/sandboxes', 'x'.repeat(2 * 1024 * 1024));
    expect(big.status).toBe(413);
  });

  it('unknown sandbox 404, paused sandbox 409, ".." 400, unreachable target 502 with {code, message} and no internals', async () => {
    const unknown = await fetch(`${berth.base}/sandboxes/no-such-sandbox/proxy/8080/x`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 'DOCKER::SANDBOX_NOT_FOUND', message: 'Sandbox no-such-sandbox not found.' });

    const dots = await fetch(`${berth.base}/sandboxes/${id}/proxy/8080/file..txt`);
    expect(dots.status).toBe(400);
    expect((await dots.json()).code).toBe('SANDBOX::INVALID_PARAMETER');

    const badPort = await fetch(`${berth.base}/sandboxes/${id}/proxy/70000/`);
    expect(badPort.status).toBe(400);
    expect((await badPort.json()).code).toBe('DOCKER::INVALID_PORT');

    const other = await t.call('POST', '/v1/sandboxes', createBody());
    const otherId = ((await other.json()) as { id: string }).id;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await t.deps.db
      .update(sandboxes)
      .set({ ports: { '44772': deadPort, '8080': deadPort } })
      .where(eq(sandboxes.id, otherId));
    const down = await fetch(`${berth.base}/sandboxes/${otherId}/proxy/8080/`);
    expect(down.status).toBe(502);
    const text = await down.text();
    expect(JSON.parse(text)).toEqual({ code: 'SANDBOX::PROXY_UPSTREAM_UNAVAILABLE', message: expect.any(String) });
    expect(text).not.toContain(String(deadPort));
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);

    expect((await t.call('POST', `/v1/sandboxes/${otherId}/pause`)).status).toBe(202);
    const paused = await fetch(`${berth.base}/sandboxes/${otherId}/proxy/8080/`);
    expect(paused.status).toBe(409);
    expect((await paused.json()).code).toBe('DOCKER::SANDBOX_NOT_RUNNING');
  });

  it('tunnels a WebSocket-style upgrade both ways, with the same header rules', async () => {
    const { socket, head } = await rawUpgrade(
      berth.port,
      `/v1/sandboxes/${id}/proxy/8080/ws?t=1`,
      `Cookie: s=secret\r\nOPEN-SANDBOX-API-KEY: ${TEST_API_KEY}\r\n`,
    );
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    const seen = last();
    expect(seen.url).toBe('/ws?t=1');
    expect(seen.headers).toMatchObject({
      host: `127.0.0.1:${target.port}`,
      upgrade: 'websocket',
      connection: 'upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect(seen.headers).not.toHaveProperty('cookie');
    expect(seen.headers).not.toHaveProperty('open-sandbox-api-key');
    const echoed = new Promise<string>((r) => {
      let got = '';
      socket.on('data', (b: Buffer) => {
        got += b.toString();
        if (got.length >= 12) r(got);
      });
    });
    socket.write('ping-\x00\xffbytes');
    expect(await echoed).toBe('ping-\x00\xffbytes');
    socket.destroy();
  });

  it("tunnels an upgrade to an unpublished port at the container's IP", async () => {
    const { socket, head } = await rawUpgrade(berth.port, `/sandboxes/${id}/proxy/${inside.port}/ws`);
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(inside.seen.at(-1)).toMatchObject({ method: 'GET', url: '/ws' });
    const echoed = new Promise<string>((r) => socket.once('data', (b: Buffer) => r(b.toString())));
    socket.write('inside');
    expect(await echoed).toBe('inside');
    socket.destroy();
  });

  it('answers failed upgrades with a plain status line; elsewhere serves the request as plain HTTP/1.1 (h2c asks)', async () => {
    const unknown = await rawUpgrade(berth.port, '/sandboxes/no-such/proxy/8080/ws');
    expect(unknown.head).toMatch(/^HTTP\/1\.1 404 /);
    await unknown.closed;
    const dots = await rawUpgrade(berth.port, `/sandboxes/${id}/proxy/8080/../../v1/sandboxes`);
    expect(dots.head).toMatch(/^HTTP\/1\.1 400 /);
    await dots.closed;
    // not a proxy path: the app answers it as usual (here 401: no key), the Upgrade ignored
    const other = await rawUpgrade(berth.port, '/v1/sandboxes');
    expect(other.head).toMatch(/^HTTP\/1\.1 401 /);
    await other.closed;
    const h2c = await rawUpgrade(berth.port, '/health');
    expect(h2c.head).toMatch(/^HTTP\/1\.1 200 /);
    await h2c.closed;
    // a body was already taken as upgrade data: dropped
    const withBody = await rawUpgrade(berth.port, '/v1/sandboxes', 'Content-Length: 2\r\n');
    expect(withBody.head).toBe('');
  });
});

describe('server proxy switched off (BERTH_SERVER_PROXY=false), and BERTH_PUBLIC_URL', () => {
  let off: TestApp;
  let pub: TestApp;
  beforeAll(async () => {
    off = await buildTestApp('postgres', { config: { serverProxy: false } });
    pub = await buildTestApp('postgres', { config: { publicUrl: 'https://berth.example.com/gw/' } });
  });
  afterAll(async () => {
    await off?.close();
    await pub?.close();
  });

  it('routes answer 404 (and need the key like any other path); use_server_proxy=true answers 400', async () => {
    const { id } = (await (await off.call('POST', '/v1/sandboxes', createBody())).json()) as { id: string };
    const withKey = await off.call('GET', `/sandboxes/${id}/proxy/8080/x`);
    expect(withKey.status).toBe(404);
    expect((await off.app.request(`/v1/sandboxes/${id}/proxy/8080/x`)).status).toBe(401);
    const ep = await off.call('GET', `/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=true`);
    expect(ep.status).toBe(400);
    const body = await ep.json();
    expect(body.code).toBe('SANDBOX::INVALID_PARAMETER');
    expect(body.message).toMatch(/server proxy is disabled/);
    const direct = await off.call('GET', `/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=false`);
    expect(direct.status).toBe(200);
    expect((await direct.json()).endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('still answers 44772 (execd is not the generic proxy) with this server, in both modes', async () => {
    const { id } = (await (await off.call('POST', '/v1/sandboxes', createBody())).json()) as { id: string };
    for (const mode of ['false', 'true']) {
      const ep = await off.call('GET', `/v1/sandboxes/${id}/endpoints/44772?use_server_proxy=${mode}`, undefined, { Host: '10.0.0.5:8090' });
      expect(ep.status, mode).toBe(200);
      expect(await ep.json(), mode).toEqual({ endpoint: `10.0.0.5:8090/sandboxes/${id}/proxy/44772` });
    }
  });

  it('an unpublished port is a clear 500 instead of an address nothing serves; 18080 still answers (Sandbox.create asks for it)', async () => {
    const { id } = (await (await off.call('POST', '/v1/sandboxes', createBody())).json()) as { id: string };
    const ep = await off.call('GET', `/v1/sandboxes/${id}/endpoints/3000?use_server_proxy=false`);
    expect(ep.status).toBe(500);
    const body = await ep.json();
    expect(body.code).toBe('DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE');
    expect(body.message).toMatch(/not published.*BERTH_SERVER_PROXY=false/);
    const egress = await off.call('GET', `/v1/sandboxes/${id}/endpoints/18080?use_server_proxy=false`);
    expect(egress.status).toBe(200);
    expect(await egress.json()).toEqual({ endpoint: `localhost/sandboxes/${id}/proxy/18080` });
    // ...where berth answers a JSON 404 rather than nothing at all
    const there = await off.call('GET', `/sandboxes/${id}/proxy/18080/`);
    expect(there.status).toBe(404);
    expect((await there.json()).code).toBeDefined();
  });

  it('writes BERTH_PUBLIC_URL (scheme dropped, path kept) into the endpoint, for execd and unpublished ports too', async () => {
    const { id } = (await (await pub.call('POST', '/v1/sandboxes', createBody())).json()) as { id: string };
    const ep = await pub.call('GET', `/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=true`, undefined, { Host: 'ignored.example:1' });
    expect(await ep.json()).toEqual({ endpoint: `berth.example.com/gw/sandboxes/${id}/proxy/8080` });
    for (const mode of ['false', 'true']) {
      const execd = await pub.call('GET', `/v1/sandboxes/${id}/endpoints/44772?use_server_proxy=${mode}`, undefined, { Host: 'ignored.example:1' });
      expect(await execd.json(), mode).toEqual({ endpoint: `berth.example.com/gw/sandboxes/${id}/proxy/44772` });
    }
    const unpublished = await pub.call('GET', `/v1/sandboxes/${id}/endpoints/3000?use_server_proxy=false`, undefined, { Host: 'ignored.example:1' });
    expect(await unpublished.json()).toEqual({ endpoint: `berth.example.com/gw/sandboxes/${id}/proxy/3000` });
  });
});

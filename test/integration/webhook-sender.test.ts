import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNetworkTransport } from '../../src/adapters/webhooks/transport.js';
import type { SendRequest } from '../../src/domain/webhooks/transport.js';

// The webhook sender against a real HTTP server on loopback (allowed here with allowPrivate), and the
// connect-time address check that closes the DNS-rebinding window (allowPrivate off).

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
type Seen = { method: string; path: string; headers: IncomingMessage['headers']; body: string; socket: Socket };

let server: Server;
let port = 0;
let handler: Handler;
const seen: Seen[] = [];
const closedSockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, socket: req.socket });
      handler(req, res, body);
    });
  });
  server.on('connection', (s: Socket) => s.on('close', () => closedSockets.add(s)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen.length = 0;
  handler = (_req, res) => res.writeHead(204).end();
});

const local = createNetworkTransport({ allowPrivate: true });
const request = (over: Partial<SendRequest> = {}): SendRequest => ({
  url: `http://127.0.0.1:${port}/hook`,
  headers: { 'webhook-id': 'evt_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,abc' },
  body: '{"type":"sandbox.created"}',
  timeoutMs: 2_000,
  ...over,
});

describe('webhook sender (node:http)', () => {
  it('POSTs the body with the content-type, user-agent and signature headers; a 2xx is success', async () => {
    const res = await local.send(request());
    expect(res).toMatchObject({ statusCode: 204, error: null, retryAfter: null });
    expect(res.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen).toHaveLength(1);
    const got = seen[0]!;
    expect(got).toMatchObject({ method: 'POST', path: '/hook', body: '{"type":"sandbox.created"}' });
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'berth-webhooks/1',
      'content-length': '26',
      'webhook-id': 'evt_1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,abc',
    });
  });

  it('reports a non-2xx status with its retry-after', async () => {
    handler = (_req, res) => res.writeHead(503, { 'retry-after': '120' }).end('busy');
    expect(await local.send(request())).toMatchObject({ statusCode: 503, error: 'HTTP 503', retryAfter: '120' });
  });

  it('does not follow redirects: a 3xx is just a status', async () => {
    handler = (req, res) => (req.url === '/hook' ? res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end() : res.writeHead(200).end());
    expect(await local.send(request())).toMatchObject({ statusCode: 302, error: 'HTTP 302' });
    expect(seen.map((s) => s.path)).toEqual(['/hook']);
  });

  it('gives up after timeoutMs when no status arrives, and drops the connection', async () => {
    handler = () => {}; // never answers
    const started = Date.now();
    const res = await local.send(request({ timeoutMs: 200 }));
    expect(res).toMatchObject({ statusCode: null, error: 'timeout after 200 ms', retryAfter: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect.poll(() => closedSockets.has(seen[0]!.socket)).toBe(true);
  });

  it('the timeout is total: a status that arrived before it still counts when the body never ends', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const res = await local.send(request({ timeoutMs: 300 }));
    expect(res).toMatchObject({ statusCode: 200, error: null });
    expect(res.durationMs).toBeGreaterThanOrEqual(250);
    await expect.poll(() => closedSockets.has(seen[0]!.socket)).toBe(true);
  });

  it('stops at once when the caller aborts', async () => {
    handler = () => {};
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const res = await local.send(request({ timeoutMs: 5_000, signal: ac.signal }));
    expect(res).toMatchObject({ statusCode: null, error: 'aborted' });
    expect(res.durationMs).toBeLessThan(2_000);
    expect(await local.send(request({ signal: AbortSignal.abort() }))).toMatchObject({ statusCode: null, error: 'aborted' });
  });

  it('reads a small answer to its end and reuses the connection', async () => {
    handler = (_req, res) => res.writeHead(200).end('x'.repeat(1_000));
    const t = createNetworkTransport({ allowPrivate: true });
    expect((await t.send(request())).statusCode).toBe(200);
    expect((await t.send(request())).statusCode).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.socket).toBe(seen[0]!.socket);
  });

  it('reads at most 64 KiB of an answer, then drops the connection without waiting for the rest', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write(Buffer.alloc(128 * 1024, 'a')); // and never ends
    };
    const t = createNetworkTransport({ allowPrivate: true });
    const res = await t.send(request({ timeoutMs: 5_000 }));
    expect(res).toMatchObject({ statusCode: 200, error: null });
    expect(res.durationMs).toBeLessThan(2_000); // well before the timeout
    await expect.poll(() => closedSockets.has(seen[0]!.socket)).toBe(true);
    handler = (_req, r) => r.writeHead(204).end();
    expect((await t.send(request())).statusCode).toBe(204);
    expect(seen[1]!.socket).not.toBe(seen[0]!.socket); // the dropped connection was not pooled
  });

  it('describes connection failures without the host, address or port', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const res = await local.send(request({ url: `http://127.0.0.1:${deadPort}/hook` }));
    expect(res).toMatchObject({ statusCode: null, error: 'connection error ECONNREFUSED' });
    expect(res.error).not.toContain(String(deadPort));

    const unresolvable = createNetworkTransport({
      allowPrivate: true,
      lookup: async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND secret.internal'), { code: 'ENOTFOUND' })),
    });
    const r2 = await unresolvable.send(request({ url: 'http://secret.internal/hook' }));
    expect(r2).toMatchObject({ statusCode: null, error: 'connection error ENOTFOUND' });
  });
});

describe('connect-time address check (allowPrivate off)', () => {
  const BLOCKED = 'address not allowed (private_address at connect)';
  // A hostile DNS server: the name answers 127.0.0.1 when the sender connects.
  const rebinding = (...addrs: string[]) => createNetworkTransport({ allowPrivate: false, lookup: async () => addrs });
  const named = () => request({ url: `http://hooks.rebind.test:${port}/hook` });

  it('control: the injected lookup is what the sender connects with (allowed when private targets are)', async () => {
    const t = createNetworkTransport({ allowPrivate: true, lookup: async () => ['127.0.0.1'] });
    expect((await t.send(named())).statusCode).toBe(204);
    expect(seen).toHaveLength(1);
  });

  it('a name that resolves to loopback at connect time never reaches the server', async () => {
    const res = await rebinding('127.0.0.1').send(named());
    expect(res).toEqual({ statusCode: null, durationMs: expect.any(Number), error: BLOCKED, retryAfter: null });
    expect(seen).toHaveLength(0);
  });

  it('refuses when any answer is private, even if a public one is among them', async () => {
    expect(await rebinding('93.184.216.34', '127.0.0.1').send(named())).toMatchObject({ statusCode: null, error: BLOCKED });
    expect(await rebinding('::ffff:127.0.0.1').send(named())).toMatchObject({ statusCode: null, error: BLOCKED });
    // IPv6 answers that embed a blocked IPv4 address: translated, NAT64, 6to4, Teredo
    for (const aaaa of ['::ffff:0:7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::1', '2001:0:4136:e378:8000:63bf:80ff:fffe'])
      expect(await rebinding(aaaa).send(named()), aaaa).toMatchObject({ statusCode: null, error: BLOCKED });
    expect(await rebinding('169.254.169.254').send(named())).toMatchObject({ statusCode: null, error: BLOCKED });
    expect(seen).toHaveLength(0);
  });

  it('refuses IP-literal URLs itself (node does not call lookup for those)', async () => {
    const strict = createNetworkTransport({ allowPrivate: false, lookup: async () => ['93.184.216.34'] });
    for (const url of [
      `http://127.0.0.1:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://[::ffff:0:7f00:1]:${port}/hook`,
      `http://[64:ff9b::127.0.0.1]:${port}/hook`,
      `http://[2002:7f00:1::1]:${port}/hook`,
      `http://2130706433:${port}/hook`,
      `http://0x7f.1:${port}/hook`,
    ]) {
      expect(await strict.send(request({ url })), url).toMatchObject({ statusCode: null, error: BLOCKED });
    }
    expect(seen).toHaveLength(0);
  });

  it('refuses the real resolver answer for localhost', async () => {
    const strict = createNetworkTransport({ allowPrivate: false });
    expect(await strict.send(request({ url: `http://localhost:${port}/hook` }))).toMatchObject({ statusCode: null, error: BLOCKED });
    expect(seen).toHaveLength(0);
  });
});

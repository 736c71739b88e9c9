import http from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.js';
import { MAX_DISCARD_BYTES } from '../../src/http/middleware/unread-body.js';
import { DB_KINDS, TEST_API_KEY, TEST_IMAGE } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';

// One keep-alive connection, as SDKs and proxies keep them: an answer given before its request body was
// read must never close the connection under the next request. @hono/node-server drains such a body and
// destroys the socket when that takes over 500 ms (DRAIN_TIMEOUT_MS in 2.1.9 and 2.1.11), so each create
// below is held in flight past that window; a create killed there would have been carried out all the same
// (the client sees ECONNRESET, retries, and makes a duplicate). Real server socket, real http.Agent, real
// Docker engine, Postgres and PGlite.
const HOLD_MS = 1200;

type Answer = { status: number; connection: string | undefined; body: string; socket: Socket };

describe.each(DB_KINDS)('keep-alive connections survive answers to unread bodies (%s)', (kind) => {
  let t: ExecdApp;
  let l: Listening;
  let agent: http.Agent;
  let hold = false;

  beforeAll(async () => {
    t = await buildExecdApp(kind);
    // The real engine, each create held past node-server's drain window while the test asks for it.
    const runtime = t.deps.runtime;
    const createAndStart = runtime.createAndStart.bind(runtime);
    runtime.createAndStart = async (spec) => {
      if (hold) await sleep(HOLD_MS);
      return createAndStart(spec);
    };
    l = await listenOnRandomPort(t.app.fetch);
  });
  afterAll(async () => {
    agent?.destroy();
    await l?.close();
    await t?.close();
  });

  function send(path: string, body: string | Buffer[], headers: Record<string, string> = {}): Promise<Answer> {
    const { port } = new URL(l.base);
    return new Promise((resolve, reject) => {
      let socket: Socket;
      const chunked = Array.isArray(body);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: {
            'OPEN-SANDBOX-API-KEY': TEST_API_KEY,
            'content-type': 'application/json',
            ...(!chunked && { 'content-length': String(Buffer.byteLength(body)) }),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text, socket }));
        },
      );
      req.on('socket', (s) => (socket = s));
      req.on('error', reject);
      if (chunked) for (const b of body) req.write(b);
      req.end(chunked ? undefined : body);
    });
  }

  const createBody = () => JSON.stringify({ image: { uri: TEST_IMAGE }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: {}, timeout: 600 });
  const sandboxRows = async () => Number(rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from sandboxes`))[0]!.n);

  /** The unread-body request, then (400 ms later, as in issue #10's repro) a create held in flight. */
  async function thenCreate(first: () => Promise<Answer>) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await sandboxRows();
    const a = await first();
    await sleep(400);
    hold = true;
    const b = await send('/v1/sandboxes', createBody()).finally(() => (hold = false));
    expect(b.status).toBe(202);
    expect(await sandboxRows()).toBe(before + 1);
    agent.destroy();
    return { a, b };
  }

  it('200 KB to an unknown route, then a create on the same socket: the body is discarded, the connection kept, the create answered', async () => {
    const { a, b } = await thenCreate(() => send('/v1/nope', JSON.stringify({ x: 'a'.repeat(200_000) })));
    expect(a.status).toBeGreaterThanOrEqual(400); // the route's refusal is not the point here
    expect(a.connection).toBe('keep-alive');
    expect(b.socket).toBe(a.socket);
  });

  it('a 2 MB chunked create refused half read (413): that answer says Connection: close, and the next create gets its answer', async () => {
    const { a, b } = await thenCreate(() =>
      send(
        '/v1/sandboxes',
        Array.from({ length: 32 }, () => Buffer.alloc(64 * 1024, 0x20)),
      ),
    );
    expect(a.status).toBe(413);
    expect(a.connection).toBe('close');
    expect(b.socket).not.toBe(a.socket);
  });

  it('a body over the discard bound left unread (413 by its Content-Length): Connection: close, and the next create gets its answer', async () => {
    const { a } = await thenCreate(() => send('/v1/sandboxes', JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) })));
    expect(a.status).toBe(413);
    expect(a.connection).toBe('close');
  });

  it('an unread body just over the discard bound (401 without a key): Connection: close, and the next create gets its answer', async () => {
    const { a } = await thenCreate(() => send('/v1/sandboxes', JSON.stringify({ x: 'a'.repeat(MAX_DISCARD_BYTES) }), { 'OPEN-SANDBOX-API-KEY': '' }));
    expect(a.status).toBe(401);
    expect(a.connection).toBe('close');
  });
});
